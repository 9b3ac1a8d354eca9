import ArgumentParser
import Foundation
import PrewarmJournal
import PrewarmSupport

/// `prewarm status`: one run, node by node.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show one run node by node: state, attempts, time, output and error.",
        discussion: """
            Without RUN, shows the newest run. The template is found as for prewarm build (an argument, \
            before or after RUN, or -t/--template); --journal names the journal instead. An argument is the \
            template when it is not a number, or names a .yaml, .yml or .json file that exists. Examples:
              prewarm status
              prewarm status template.yaml
              prewarm status 12 template.yaml --format json
              prewarm status --template app/template.yaml
            """
    )

    @Argument(help: "The run's number, as `prewarm runs` lists it. Default: the newest run.")
    var runID: String?

    @OptionGroup var template: TemplateArgument

    @OptionGroup var journal: JournalOptions

    @Option(help: "Output format: text or json.")
    var format: ReportFormat = .text

    func validate() throws {
        _ = try arguments()
    }

    /// The run asked for (`nil`: the newest) and the template, from the two arguments in either order: a
    /// number is a run, unless it names a template file that exists; anything else is a template.
    func arguments() throws -> (run: Int64?, template: TemplateArgument) {
        var run: Int64?
        var templatePath: String?
        for argument in [runID, template.templatePath].compactMap({ $0 }) {
            if let number = Int64(argument), !Self.isTemplateFile(argument) {
                if let run { throw ValidationError("give one run number, not both \(run) and \(number)") }
                run = number
            } else {
                if let templatePath {
                    throw ValidationError(
                        "give one template, not both \(templatePath) and \(argument) (a run is a number)")
                }
                templatePath = argument
            }
        }
        var template = self.template
        template.templatePath = templatePath
        _ = try template.givenPath()
        return (run, template)
    }

    /// Whether `argument` names a template file that exists (a run number could be a file name too).
    static func isTemplateFile(_ argument: String) -> Bool {
        let lowered = argument.lowercased()
        guard [".yaml", ".yml", ".json"].contains(where: lowered.hasSuffix) else { return false }
        return FileManager.default.fileExists(atPath: argument)
    }

    func run() async throws {
        let (runID, template) = try arguments()
        let journal = try await journal.openExisting(template: template)
        let detail: RunDetail?
        if let runID {
            detail = try await journal.run(RunID(rawValue: runID))
        } else if let newest = try await journal.runs(limit: 1).first {
            detail = try await journal.run(newest.id)
        } else {
            detail = nil
        }
        guard let detail else {
            throw CommandFailure(
                message: runID.map { "the journal has no run \($0) (see prewarm runs)" }
                    ?? "the journal has no runs yet",
                exitCode: .unusableInput)
        }
        switch format {
        case .json:
            print(JSONText.encode(RunDetailJSON(detail)))
        case .text:
            let run = detail.run
            // On a terminal, cut to its width: NODE is shortened in its middle, OUTCOME always shows.
            let terminal = Terminal.standardOutput()
            let width = terminal.isTerminal ? terminal.width : Int.max
            let heading =
                "run \(run.id): \(run.outcome.rawValue), started \(TimeText.timestamp(run.startedAt)), \(run.templatePath)"
            print(heading.count > width ? String(heading.prefix(width - 1)) + "…" : heading)
            var rows = [["NODE", "OUTCOME", "ATTEMPTS", "TIME", "OUTPUT / ERROR"]]
            for node in detail.nodes {
                let upToDate = RunDetailJSON.isUpToDate(node)
                rows.append([
                    node.nodeID.rawValue, RunDetailJSON.outcome(node), String(node.attempts),
                    node.duration.map { TimeText.duration($0.seconds) } ?? "-",
                    upToDate ? node.output?.digest ?? "" : node.errorMessage ?? node.output?.digest ?? "",
                ])
            }
            // The journal keeps each failure as the build said it, its settings spelled as flags.
            print(
                TableText.render(rows, width: width, shrinking: 0, kept: 1, keptWidth: "interrupted".count),
                terminator: "")
        }
    }
}
