import Foundation
import PrewarmPlan

/// Writes prewarm's messages for people to standard error, so that standard output carries
/// only results (tables, JSON, DOT). Settings the libraries mention are spelled as flags.
enum Console {
    static func error(_ message: String, prefixed: Bool = true) {
        write(prefixed ? "prewarm: error: \(message)" : message)
    }

    static func warning(_ message: String) {
        write("prewarm: warning: \(message)")
    }

    static func write(_ line: String) {
        FileHandle.standardError.write(Data((SettingFlags.render(line) + "\n").utf8))
    }

    /// What planning found that is not a plan: warnings, skipped resources (unless the output
    /// lists them already) and functions that could not be planned.
    static func report(_ plan: Plan, listingSkipped: Bool) {
        for warning in plan.warnings { Console.warning(warning) }
        if listingSkipped {
            for item in plan.skipped { Console.warning("\(item.location): skipped \(item.name): \(item.reason)") }
        }
        for failure in plan.errors { Console.error(failure.description) }
    }
}
