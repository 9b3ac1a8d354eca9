import ArgumentParser
import Foundation
import Logging
import PrewarmRun
import PrewarmSupport

/// The `prewarm` command.
@main
struct Prewarm: AsyncParsableCommand {
    static let version = PrewarmVersion.current

    static let configuration = CommandConfiguration(
        commandName: "prewarm",
        abstract: "Build, ahead of time and all at once, the local images that `sam local` needs.",
        discussion: """
            prewarm reads a SAM or CloudFormation template, works out for every Lambda function the \
            exact image name that `sam local invoke` / `start-api` looks for, and builds each distinct \
            image once.

            Exit codes: 0 everything planned or built; 1 some function failed (the others were still \
            done); 2 unusable input (missing or malformed template, bad flags); 130 interrupted.

            --debug, with any command (or PREWARM_LOG=debug): every request prewarm sends to an engine or \
            a registry, and how it ended, and the engines' own output, on standard error.
            """,
        version: version,
        subcommands: [
            PlanCommand.self, BuildCommand.self, RunsCommand.self, StatusCommand.self, ImportCommand.self,
            ExportCommand.self, ImagesCommand.self, GCCommand.self, VerifyCommand.self, DoctorCommand.self,
            WatchCommand.self,
        ]
    )

    /// Runs the command line, mapping errors to prewarm's exit codes: usage errors exit 2,
    /// not swift-argument-parser's 64.
    static func main() async {
        // `--debug` anywhere (or PREWARM_LOG=debug): what prewarm asks each engine and registry, and the
        // engines' output, on standard error.
        let arguments = Array(CommandLine.arguments.dropFirst())
        let debug =
            arguments.contains("--debug") || ProcessInfo.processInfo.environment["PREWARM_LOG"]?.lowercased() == "debug"
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = debug ? .debug : .warning
            return handler
        }
        do {
            var command = try parseAsRoot(arguments.filter { $0 != "--debug" })
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
        Termination.exit(0)
    }

    static func exit(withError error: Error) -> Never {
        if let (status, message) = ExitStatus.failure(for: error) {
            Console.error(Message(message))
            Termination.exit(status.rawValue)
        }
        let code = exitCode(for: error)
        if code == .success {
            let message = fullMessage(for: error)
            if !message.isEmpty { print(message) }
            Termination.exit(0)
        }
        if code == .validationFailure {
            // One line, as every prewarm error: what is wrong, and where to read more.
            var message = self.message(for: error)
            if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
            let line = message.split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            Console.error("\(line) (see prewarm \(subcommandName().map { "\($0) " } ?? "")--help)")
            Termination.exit(ExitStatus.unusableInput.rawValue)
        }
        let message = self.message(for: error)
        if !message.isEmpty { Console.error(Message(message)) }
        Termination.exit(code.rawValue)
    }

    /// The subcommand the command line names (`build` in `prewarm build --jobs 0`), for the help
    /// a usage error points at; `nil` when it names none.
    static func subcommandName(_ arguments: [String] = CommandLine.arguments) -> String? {
        let names = Set(configuration.subcommands.map { $0._commandName })
        return arguments.dropFirst().first { !$0.hasPrefix("-") }.flatMap { names.contains($0) ? $0 : nil }
    }
}
