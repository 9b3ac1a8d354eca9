import ArgumentParser
import PrewarmJournal
import PrewarmPlan
import PrewarmRun
import PrewarmSupport
import PrewarmTemplate

/// prewarm's exit codes, the same for every command.
enum ExitStatus: Int32 {
    /// Everything asked for was planned or built.
    case success = 0
    /// Some function (or node) failed; everything else was still done.
    case partialFailure = 1
    /// Nothing could be done: missing or malformed template, bad flags.
    case unusableInput = 2
    /// Stopped by SIGINT or SIGTERM.
    case interrupted = 130

    var exitCode: ExitCode { ExitCode(rawValue) }

    /// The exit status and the one-line message (flags spelled as on the command line) of an error that
    /// ends a command; `nil` for the errors swift-argument-parser reports itself (usage, `--help`, `ExitCode`).
    ///
    /// This is the one place where errors become exit codes: a library error that stops a command before
    /// it did anything is unusable input, except a build whose images could not be pushed or loaded after
    /// they were built, which is a partial failure.
    static func failure(for error: any Error) -> (status: ExitStatus, message: String)? {
        switch error {
        case let failure as CommandFailure:
            return (failure.exitCode, failure.message)
        case let error as BuildSessionError:
            if let template = error.cause as? TemplateError, let limit = template.exceededLimit {
                // The reader's caps are flags of the command line: say which raises this one.
                var raised = template
                raised.advice =
                    "raise the limit with \(TemplateOptions.flag(raising: limit)) N if the template really is this large"
                return (.unusableInput, SettingFlags.render(raised))
            }
            return (error.code == .publish ? .partialFailure : .unusableInput, SettingFlags.render(error))
        case let error as any MessageError:
            return (.unusableInput, SettingFlags.render(error))
        default:
            return nil
        }
    }
}

/// An error that ends the command with a message and an exit status.
struct CommandFailure: Error {
    var message: String
    var exitCode: ExitStatus
}
