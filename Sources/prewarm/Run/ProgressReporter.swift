import Foundation
import PrewarmPlan
import PrewarmRun
import PrewarmSupport

/// How `prewarm build` reports progress.
enum ProgressMode: String, CaseIterable {
    /// One line per node event, for people and logs.
    case plain
    /// One JSON object per line (see README, "Progress as JSON lines").
    case json
}

/// Turns scheduler events into lines on standard output. Safe to call from several tasks.
final class ProgressReporter: @unchecked Sendable {
    private let mode: ProgressMode
    private let total: Int
    private let lock = NSLock()
    private var finished = 0
    private let start = ContinuousClock.now

    init(mode: ProgressMode, total: Int) {
        self.mode = mode
        self.total = total
    }

    func handle(_ event: SchedulerEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case .started(let node, let attempt):
            emit(
                plain: attempt == 1 ? nil : "          retry   \(node.id) (attempt \(attempt))",
                json: ProgressLine(event: "started", node: node.id, kind: node.kind.rawValue, attempt: attempt))
        case .retrying(let node, let attempt, let error, let delay):
            emit(
                plain: "          wait    \(node.id): attempt \(attempt) failed: \(error); "
                    + "retrying in \(String(format: "%.1fs", delay.seconds))",
                json: ProgressLine(
                    event: "retrying", node: node.id, kind: node.kind.rawValue, attempt: attempt, error: error,
                    seconds: delay.seconds))
        case .finished(let node, let outcome, let duration):
            finished += 1
            let (word, output, error) = Self.describe(outcome)
            let counter =
                "[\(String(repeating: " ", count: max(0, String(total).count - String(finished).count)))\(finished)/\(total)]"
            var plain = "\(counter) \(word.padding(toLength: 11, withPad: " ", startingAt: 0)) \(node.id)"
            if duration > .zero { plain += " (\(String(format: "%.1fs", duration.seconds)))" }
            if let error { plain += ": \(error)" }
            emit(
                plain: plain,
                json: ProgressLine(
                    event: "finished", node: node.id, kind: node.kind.rawValue, outcome: word, output: output,
                    error: error, seconds: duration.seconds))
        }
    }

    /// The closing summary, as a line or a JSON object.
    func summary(_ summary: RunSummary, runID: String, planErrors: Int) -> String {
        let seconds = (ContinuousClock.now - start).seconds
        switch mode {
        case .plain:
            var parts = ["\(summary.built) built", "\(summary.upToDate) up to date"]
            if summary.failed > 0 { parts.append("\(summary.failed) failed") }
            if summary.skipped > 0 { parts.append("\(summary.skipped) skipped") }
            if summary.interrupted > 0 { parts.append("\(summary.interrupted) interrupted") }
            if planErrors > 0 { parts.append("\(planErrors) not planned") }
            return "run \(runID): " + parts.joined(separator: ", ") + String(format: " in %.1fs", seconds)
        case .json:
            return JSONText.line(
                SummaryLine(
                    run: runID, built: summary.built, upToDate: summary.upToDate, failed: summary.failed,
                    skipped: summary.skipped, interrupted: summary.interrupted, notPlanned: planErrors,
                    seconds: seconds))
        }
    }

    private func emit(plain: String?, json: ProgressLine) {
        let line: String?
        switch mode {
        case .plain: line = plain
        case .json: line = JSONText.line(json)
        }
        // Unbuffered, so that a pipe (CI logs, `tee`) sees each event as it happens.
        // Settings the libraries mention in errors are spelled as flags.
        if let line { FileHandle.standardOutput.write(Data((SettingFlags.render(line) + "\n").utf8)) }
    }

    static func describe(_ outcome: NodeOutcome) -> (word: String, output: String?, error: String?) {
        switch outcome {
        case .succeeded(.built(let artifact)): ("built", artifact.digest, nil)
        case .succeeded(.upToDate(let artifact)): ("up-to-date", artifact.digest, nil)
        case .failed(let message): ("failed", nil, message)
        case .skipped(let reason): ("skipped", nil, reason)
        case .interrupted: ("interrupted", nil, nil)
        }
    }

}

/// One line of `--progress json`.
struct ProgressLine: Encodable {
    var event: String
    var node: String
    var kind: String
    var attempt: Int?
    var outcome: String?
    var output: String?
    var error: String?
    var seconds: Double?
}

/// The last line of `--progress json`.
struct SummaryLine: Encodable {
    var event = "summary"
    var run: String
    var built: Int
    var upToDate: Int
    var failed: Int
    var skipped: Int
    var interrupted: Int
    var notPlanned: Int
    var seconds: Double
}
