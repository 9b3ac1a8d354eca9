import ArgumentParser
import Foundation
import PrewarmPlan
import PrewarmRun
import PrewarmSupport

/// How `prewarm build` reports progress (`--progress`), as buildx and apple/container do.
enum ProgressMode: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// `tty` when standard output is a terminal, else `plain`.
    case auto
    /// A live region redrawn in place (what runs now, counts, time), a line per finished node above it.
    case tty
    /// One line per node event, for logs and pipes.
    case plain
    /// One JSON object per line (README: "Machine-readable output").
    case json

    /// `auto` decided for `terminal`.
    func resolved(for terminal: Terminal) -> ProgressMode {
        guard self == .auto else { return self }
        return terminal.isTerminal ? .tty : .plain
    }
}

/// The words that say how a node ended, the same in progress, `status` and the function table.
enum OutcomeWord {
    static func of(_ outcome: NodeOutcome) -> (word: String, output: String?, error: String?) {
        switch outcome {
        case .succeeded(.built(let artifact)): ("built", artifact.digest, nil)
        case .succeeded(.upToDate(let artifact)): ("up-to-date", artifact.digest, nil)
        case .failed(let error): ("failed", nil, SettingFlags.render(error))
        case .skipped(let reason): ("skipped", nil, SettingFlags.render(reason))
        case .interrupted: ("interrupted", nil, nil)
        }
    }
}

/// Turns scheduler events into output on standard output. Safe to call from several tasks.
final class ProgressReporter: Sendable {
    private struct State {
        var finished = 0
        var live: LiveRegion?
    }

    let mode: ProgressMode
    private let plan: Plan
    private let terminal: Terminal
    private let total: Int
    private let state: Locked<State>
    private let start: ContinuousClock.Instant

    /// - Parameters:
    ///   - mode: `auto` is decided here, for `terminal`.
    ///   - start: when the build started, for its clocks (the reporter is made when the plan arrives).
    init(
        mode: ProgressMode, plan: Plan, terminal: Terminal = .standardOutput(), start: ContinuousClock.Instant = .now
    ) {
        self.mode = mode.resolved(for: terminal)
        self.start = start
        self.plan = plan
        self.terminal = terminal
        total = plan.graph.nodes.count
        state = Locked(State(live: self.mode == .tty ? LiveRegion(plan: plan, terminal: terminal) : nil))
    }

    func handle(_ event: SchedulerEvent) {
        state.withLock { state in
            switch mode {
            case .tty: handleLive(event, &state)
            case .json: emit(Self.jsonLine(for: event))
            case .plain, .auto: handlePlain(event, &state)
            }
        }
    }

    /// Writes `line` (a message for people) to standard error. On a terminal with the live region drawn,
    /// the region is cleared first and drawn again below the line, so that no line of it is left behind in
    /// the scrollback (as the `▸` line was after Ctrl-C).
    func message(_ line: Message) {
        state.withLock { state in
            guard mode == .tty, var live = state.live else {
                Console.write(line)
                return
            }
            write(live.clear())
            Console.write(line)
            write(live.redraw(printing: [], region: live.region(at: .now, elapsed: .now - start)))
            state.live = live
        }
    }

    /// Redraws the live region (its clocks move even when no event comes); nothing in other modes.
    func tick() {
        guard mode == .tty else { return }
        state.withLock { state in
            guard var live = state.live else { return }
            let region = live.region(at: .now, elapsed: .now - start)
            write(live.redraw(printing: [], region: region))
            state.live = live
        }
    }

    private func handleLive(_ event: SchedulerEvent, _ state: inout State) {
        guard var live = state.live else { return }
        var lines: [String] = []
        switch event {
        case .started(let node, let attempt):
            live.started(node, attempt: attempt, at: .now)
        case .retrying(let node, let attempt, let error, let delay):
            let error = SettingFlags.render(error)
            lines.append(
                live.fit(
                    live.paint("↻", "skipped") + " \(live.label(node)): attempt \(attempt) failed: \(error); "
                        + "retrying in \(String(format: "%.1fs", delay.seconds))"))
        case .finished(let node, let outcome, let duration):
            let (word, _, error) = OutcomeWord.of(outcome)
            lines.append(live.finished(node, word: word, detail: error, duration: duration))
        }
        write(live.redraw(printing: lines, region: live.region(at: .now, elapsed: .now - start)))
        state.live = live
    }

    private func handlePlain(_ event: SchedulerEvent, _ state: inout State) {
        switch event {
        case .started(let node, let attempt):
            if attempt > 1 { emit("          retry   \(node.id) (attempt \(attempt))") }
        case .retrying(let node, let attempt, let error, let delay):
            let error = SettingFlags.render(error)
            emit(
                "          wait    \(node.id): attempt \(attempt) failed: \(error); "
                    + "retrying in \(String(format: "%.1fs", delay.seconds))")
        case .finished(let node, let outcome, let duration):
            state.finished += 1
            let (word, _, error) = OutcomeWord.of(outcome)
            let width = String(total).count
            let counter =
                "[\(String(repeating: " ", count: max(0, width - String(state.finished).count)))"
                + "\(state.finished)/\(total)]"
            var line = "\(counter) \(word.padding(toLength: 11, withPad: " ", startingAt: 0)) \(node.id)"
            if duration > .zero { line += " (\(String(format: "%.1fs", duration.seconds)))" }
            if let error { line += ": \(error)" }
            emit(line)
        }
    }

    static func jsonLine(for event: SchedulerEvent) -> String {
        switch event {
        case .started(let node, let attempt):
            return JSONText.line(
                ProgressLine(event: "started", node: node.id, kind: node.kind.rawValue, attempt: attempt))
        case .retrying(let node, let attempt, let error, let delay):
            return JSONText.line(
                ProgressLine(
                    event: "retrying", node: node.id, kind: node.kind.rawValue, attempt: attempt,
                    error: SettingFlags.render(error), seconds: delay.seconds))
        case .finished(let node, let outcome, let duration):
            let (word, output, error) = OutcomeWord.of(outcome)
            return JSONText.line(
                ProgressLine(
                    event: "finished", node: node.id, kind: node.kind.rawValue, outcome: word, output: output,
                    error: error, seconds: duration.seconds))
        }
    }

    /// A blob of the OCI store that building `node` found damaged and wrote again: with `json`, a
    /// `repaired` event (people get a line on standard error from `BuildOutput`).
    func repaired(node: NodeID, blob: String) {
        guard mode == .json else { return }
        let kind = plan.graph.nodes.first { $0.id == node }?.kind.rawValue ?? "image"
        emit(JSONText.line(ProgressLine(event: "repaired", node: node, kind: kind, blob: blob)))
    }

    /// The end of the run: the summary (a line or a JSON object) and, for people, the function
    /// table, on standard output.
    func finish(_ run: RunReport, planErrors: Int) {
        let summary = run.summary
        let runID = run.runID.rawValue
        let seconds = (ContinuousClock.now - start).seconds
        state.withLock { state in
            // The region goes, and stays gone: nothing is drawn after the summary.
            if mode == .tty, var live = state.live {
                write(live.clear())
                state.live = nil
            }
        }
        switch mode {
        case .json:
            emit(
                JSONText.line(
                    SummaryLine(
                        run: runID, built: summary.built, upToDate: summary.upToDate, failed: summary.failed,
                        skipped: summary.skipped, interrupted: summary.interrupted, notPlanned: planErrors,
                        seconds: seconds, functions: FunctionLine.lines(run.functions))))
        case .plain, .tty, .auto:
            var parts = ["\(summary.built) built", "\(summary.upToDate) up to date"]
            if summary.failed > 0 { parts.append("\(summary.failed) failed") }
            if summary.skipped > 0 { parts.append("\(summary.skipped) skipped") }
            if summary.interrupted > 0 { parts.append("\(summary.interrupted) interrupted") }
            if planErrors > 0 { parts.append("\(planErrors) not planned") }
            if !plan.functions.isEmpty || !plan.errors.isEmpty {
                // Cut to the terminal's width on a terminal; whole in a log.
                let width = mode == .tty ? terminal.width : Int.max
                let table = FunctionTable.render(run.functions, planErrors: plan.errors, width: width)
                write(table.hasSuffix("\n") ? table : table + "\n")
            }
            emit("run \(runID): " + parts.joined(separator: ", ") + String(format: " in %.1fs", seconds))
        }
    }

    private func emit(_ line: String) {
        write(line + "\n")
    }

    /// Unbuffered, so that a pipe (CI logs, `tee`) sees each event as it happens.
    private func write(_ text: String) {
        guard !text.isEmpty else { return }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// One line of `--progress json`.
struct ProgressLine: Encodable {
    var schemaVersion = JSONSchema.version
    var event: String
    var node: NodeID
    var kind: String
    var attempt: Int?
    var outcome: String?
    var output: String?
    var error: String?
    var seconds: Double?
    /// The blob written again, in a `repaired` event.
    var blob: String?
}

/// The last line of `--progress json`.
struct SummaryLine: Encodable {
    var schemaVersion = JSONSchema.version
    var event = "summary"
    var run: Int64
    var built: Int
    var upToDate: Int
    var failed: Int
    var skipped: Int
    var interrupted: Int
    var notPlanned: Int
    var seconds: Double
    var functions: [FunctionLine]
}

/// A function of the summary: how its image ended, in the words of the progress lines.
struct FunctionLine: Encodable {
    var function: String
    var architecture: String
    var image: String
    var node: NodeID
    var outcome: String
    var error: String?

    static func lines(_ results: [FunctionResult]) -> [FunctionLine] {
        results.map { result in
            let function = result.function
            let (word, _, error) = result.outcome.map(OutcomeWord.of) ?? ("not-run", nil, nil)
            return FunctionLine(
                function: function.name, architecture: function.architecture.rawValue, image: function.image,
                node: function.nodeID, outcome: word, error: error)
        }
    }
}
