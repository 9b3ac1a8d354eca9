import Foundation
import PrewarmPlan
import PrewarmSupport

/// Writes prewarm's messages for people to standard error, so that standard output carries
/// only results (tables, JSON, DOT). Settings the libraries' messages mention are spelled as flags.
enum Console {
    static func error(_ message: Message, prefixed: Bool = true) {
        write(prefixed ? "prewarm: error: \(message)" : message)
    }

    static func warning(_ message: Message) {
        write("prewarm: warning: \(message)")
    }

    static func write(_ line: Message) {
        FileHandle.standardError.write(Data((SettingFlags.render(line) + "\n").utf8))
    }

    /// What planning found that is not a plan: warnings, skipped resources (unless the output
    /// lists them already), functions that could not be planned, and that there is nothing to build when
    /// the plan has no functions and no errors.
    static func report(_ plan: Plan, listingSkipped: Bool) {
        for warning in plan.warnings { Console.warning(warning) }
        if listingSkipped {
            for item in plan.skipped { Console.warning("\(item.location): skipped \(item.name): \(item.reason)") }
        }
        for failure in plan.errors { Console.error(failure.line) }
        if plan.functions.isEmpty, plan.errors.isEmpty {
            let skipped = plan.skipped.isEmpty ? "" : " that sam local can invoke (\(plan.skipped.count) skipped)"
            Console.write("prewarm: \(plan.template): no functions\(skipped): nothing to build")
        }
    }
}
