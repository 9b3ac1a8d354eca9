import Foundation
import PrewarmPlan
import PrewarmRun
import PrewarmSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the terminal is: whether standard output is one, how wide, and whether colour is wanted.
struct Terminal: Sendable {
    var isTerminal: Bool
    var width: Int
    var color: Bool

    /// Standard output's terminal: its width from the terminal itself (else `$COLUMNS`, else 80);
    /// colour only on a terminal, and never with `NO_COLOR` set (https://no-color.org).
    static func standardOutput(environment: [String: String] = ProcessInfo.processInfo.environment) -> Terminal {
        let isTerminal = isatty(STDOUT_FILENO) == 1
        var size = winsize()
        var width = 0
        if isTerminal, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 { width = Int(size.ws_col) }
        if width <= 0 { width = environment["COLUMNS"].flatMap(Int.init) ?? 80 }
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return Terminal(isTerminal: isTerminal, width: max(20, width), color: isTerminal && !noColor)
    }
}

/// The live view of a build on a terminal, as buildx shows one: a line per finished piece of work
/// scrolls above a region that is redrawn in place — the counts, the time, and what is being
/// built now, by function. Lines never exceed the terminal's width.
///
/// Pure state and text: `ProgressReporter` feeds it events and writes what it returns.
struct LiveRegion {
    let plan: Plan
    let terminal: Terminal
    let total: Int
    private(set) var running: [NodeID: (label: String, since: ContinuousClock.Instant, attempt: Int)] = [:]
    private(set) var counts: [String: Int] = [:]
    private(set) var finished = 0
    /// How many lines the region drawn last took, to move back over them.
    private var drawnLines = 0
    /// The functions each image node builds, for labels.
    private let functionsByNode: [NodeID: [PlannedFunction]]

    init(plan: Plan, terminal: Terminal) {
        self.plan = plan
        self.terminal = terminal
        total = plan.graph.nodes.count
        functionsByNode = Dictionary(grouping: plan.functions, by: \.nodeID)
    }

    /// How a node is named for people: the functions an image is for, else the layer or base.
    func label(_ node: BuildGraph.Node) -> String {
        switch node.payload {
        case .image(let image):
            let names = (functionsByNode[node.id] ?? []).map(\.name)
            let shown = names.prefix(3).joined(separator: ", ") + (names.count > 3 ? " +\(names.count - 3)" : "")
            return "\(shown.isEmpty ? image.name : shown) (\(image.architecture.rawValue))"
        case .layer(.arn(let arn)): return "layer \(arn.name):\(arn.version)"
        case .layer(.local(let path)): return "layer \(URL(fileURLWithPath: path).lastPathComponent)"
        case .base(let reference, let architecture): return "base \(reference) (\(architecture.rawValue))"
        }
    }

    mutating func started(_ node: BuildGraph.Node, attempt: Int, at now: ContinuousClock.Instant) {
        running[node.id] = (label(node), now, attempt)
    }

    /// Records a finished node; returns its line for the scrolling part.
    mutating func finished(
        _ node: BuildGraph.Node, word: String, detail: String?, duration: Duration
    ) -> String {
        running[node.id] = nil
        finished += 1
        counts[word, default: 0] += 1
        let time = duration > .zero ? String(format: " %.1fs", duration.seconds) : ""
        let mark = Self.mark(word)
        var line = "\(paint(mark, word)) \(label(node))\(time)"
        if let detail, !detail.isEmpty { line += ": \(detail)" }
        return fit(line)
    }

    /// The region: a status line, then what runs now (at most `limit` lines).
    func region(at now: ContinuousClock.Instant, elapsed: Duration, limit: Int = 8) -> [String] {
        var parts = ["\(finished)/\(total)"]
        for word in ["built", "up-to-date", "failed", "skipped"] where counts[word, default: 0] > 0 {
            parts.append("\(counts[word, default: 0]) \(word == "up-to-date" ? "up to date" : word)")
        }
        parts.append(String(format: "%.1fs", elapsed.seconds))
        var lines = [fit(paint("▸", "running") + " " + parts.joined(separator: " · "))]
        let now = now
        let active = running.values.sorted { $0.since < $1.since }
        for item in active.prefix(limit) {
            let retry = item.attempt > 1 ? " (attempt \(item.attempt))" : ""
            lines.append(fit(String(format: "  %@ %.1fs%@", item.label, (now - item.since).seconds, retry)))
        }
        if active.count > limit { lines.append(fit("  … and \(active.count - limit) more")) }
        return lines
    }

    /// The bytes that replace the region drawn last with `lines` above `region`: cursor up over
    /// the old region, clear to the end of the screen, the new lines.
    mutating func redraw(printing lines: [String], region: [String]) -> String {
        var output = drawnLines > 0 ? "\r\u{1B}[\(drawnLines)A\u{1B}[J" : ""
        for line in lines + region { output += line + "\n" }
        drawnLines = region.count
        return output
    }

    /// Clears the region (for the end of the run).
    mutating func clear() -> String {
        defer { drawnLines = 0 }
        return drawnLines > 0 ? "\r\u{1B}[\(drawnLines)A\u{1B}[J" : ""
    }

    /// `line` cut to the terminal's width, counting characters as columns (ANSI colour codes
    /// excluded).
    func fit(_ line: String) -> String {
        let visible = Self.visibleWidth(line)
        guard visible > terminal.width else { return line }
        var result = ""
        var columns = 0
        var inEscape = false
        for character in line {
            if character == "\u{1B}" { inEscape = true }
            if inEscape {
                result.append(character)
                if character == "m" { inEscape = false }
                continue
            }
            guard columns < terminal.width - 1 else { break }
            result.append(character)
            columns += 1
        }
        return result + "…" + (terminal.color ? "\u{1B}[0m" : "")
    }

    static func visibleWidth(_ line: String) -> Int {
        var width = 0
        var inEscape = false
        for character in line {
            if character == "\u{1B}" { inEscape = true }
            if inEscape {
                if character == "m" { inEscape = false }
                continue
            }
            width += 1
        }
        return width
    }

    static func mark(_ word: String) -> String {
        switch word {
        case "built": "✓"
        case "up-to-date": "="
        case "failed": "✗"
        case "skipped": "-"
        case "interrupted": "!"
        default: "·"
        }
    }

    /// `text` in the colour of `word`, when colour is on.
    func paint(_ text: String, _ word: String) -> String {
        guard terminal.color else { return text }
        let code =
            switch word {
            case "built": "32"
            case "up-to-date": "36"
            case "failed": "31"
            case "skipped", "interrupted": "33"
            default: "1"
            }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
}

/// The table that ends a build: every function and architecture, its image, and how it ended,
/// with the one-line reason of a failure.
enum FunctionTable {
    static func render(_ results: [FunctionResult], planErrors: [PlanFailure], width: Int) -> String {
        var rows = [["FUNCTION", "ARCH", "IMAGE", "OUTCOME"]]
        for result in results {
            let function = result.function
            var outcome = "not-run"
            if let ended = result.outcome {
                let (word, _, error) = OutcomeWord.of(ended)
                outcome = error.map { "\(word): \($0)" } ?? word
            }
            rows.append([function.name, function.architecture.rawValue, function.image, outcome])
        }
        for failure in planErrors {
            // The library's message names settings; here they are flags, as in the error lines.
            rows.append([
                failure.name, failure.architecture?.rawValue ?? "-", "-",
                "not-planned: \(SettingFlags.render(failure.text))",
            ])
        }
        // On a narrow terminal IMAGE is shortened in its middle, never OUTCOME's word dropped.
        return TableText.render(rows, width: width, shrinking: 2, kept: 3, keptWidth: "not-planned".count)
    }
}
