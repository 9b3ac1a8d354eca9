import ArgumentParser

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
}

/// An error that ends the command with a message and an exit status.
struct CommandFailure: Error {
    var message: String
    var exitCode: ExitStatus
}
