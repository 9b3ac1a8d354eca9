import ArgumentParser
import Foundation
import PrewarmJournal
import PrewarmPlan
import PrewarmRun
import PrewarmSupport

/// `prewarm runs`: the runs recorded in a template's journal, newest first.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the build runs recorded in the journal, newest first.",
        discussion: """
            The template is found as for prewarm build: an argument, -t/--template, else \
            template.yaml, template.yml or template.json in the current directory; --journal names the \
            journal instead.

            Examples:
              prewarm runs template.yaml
              prewarm runs --journal ci/.prewarm/journal.sqlite --format json
            """
    )

    @OptionGroup var template: TemplateArgument

    @OptionGroup var journal: JournalOptions

    @Option(help: "Output format: text or json.")
    var format: ReportFormat = .text

    @Option(help: "Show at most this many runs.")
    var limit: Int = 20

    func run() async throws {
        let journal = try await journal.openExisting(template: template)
        let runs = try await journal.runs(limit: limit)
        switch format {
        case .json:
            print(JSONText.encode(runs.map(RunJSON.init)))
        case .text:
            var rows = [["RUN", "STARTED", "DURATION", "OUTCOME", "ENGINE", "TEMPLATE"]]
            for run in runs {
                rows.append([
                    run.id.description, TimeText.timestamp(run.startedAt),
                    run.endedAt.map { TimeText.duration($0.timeIntervalSince(run.startedAt)) } ?? "-",
                    run.outcome.rawValue, RunJSON.engine(of: run) ?? "-", run.templatePath,
                ])
            }
            print(TableText.render(rows), terminator: "")
        }
    }
}

/// A run in `runs --format json` and `status --format json`.
struct RunJSON: Encodable {
    var schemaVersion = JSONSchema.version
    var id: Int64
    var template: String
    var startedAt: String
    var endedAt: String?
    var outcome: String
    /// Which engine the run built into, and where (`oci store at PATH`, `docker at URL`); `nil` for a run
    /// whose options do not say (written by an older prewarm, or by the library without one).
    var engine: String?
    var pid: Int32
    var prewarmVersion: String

    init(_ run: RunRecord) {
        id = run.id.rawValue
        template = run.templatePath
        startedAt = TimeText.timestamp(run.startedAt)
        endedAt = run.endedAt.map(TimeText.timestamp)
        outcome = run.outcome.rawValue
        engine = Self.engine(of: run)
        pid = run.processID
        prewarmVersion = run.prewarmVersion
    }

    /// The engine `run`'s options record (see the property).
    static func engine(of run: RunRecord) -> String? {
        RecordedRunOptions(json: run.optionsJSON)?.engine.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// `status --format json`: the run and its nodes.
struct RunDetailJSON: Encodable {
    struct Node: Encodable {
        var id: NodeID
        var kind: String
        var contentKey: String
        /// The journal's state: pending, running, succeeded, failed, skipped, interrupted.
        var state: String
        /// How the node ended, in the words of `--progress json`: built, up-to-date, failed, skipped,
        /// interrupted; pending or running while it has not.
        var outcome: String
        var attempts: Int
        var seconds: Double?
        var output: String?
        var error: String?
    }
    var schemaVersion = JSONSchema.version
    var run: RunJSON
    var nodes: [Node]

    init(_ detail: RunDetail) {
        run = RunJSON(detail.run)
        nodes = detail.nodes.map { node in
            let upToDate = Self.isUpToDate(node)
            return Node(
                id: node.nodeID, kind: node.kind.rawValue, contentKey: node.contentKey, state: node.state.rawValue,
                outcome: Self.outcome(node), attempts: node.attempts,
                seconds: node.duration?.seconds,
                output: node.output?.digest, error: upToDate ? nil : node.errorMessage)
        }
    }

    /// The journal records an up-to-date node as skipped, with the output it reused.
    static func isUpToDate(_ node: NodeRecord) -> Bool {
        node.state == .skipped && node.errorMessage == "up to date"
    }

    /// `node`'s state in the progress vocabulary (see `OutcomeWord`).
    static func outcome(_ node: NodeRecord) -> String {
        if isUpToDate(node) { return "up-to-date" }
        return node.state == .succeeded ? "built" : node.state.rawValue
    }
}
