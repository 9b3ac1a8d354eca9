import ArgumentParser
import Foundation
import PrewarmJournal
import PrewarmRun

/// Where the journal is: `--journal PATH`, else `.prewarm/journal.sqlite` in the template's project directory.
struct JournalOptions: ParsableArguments {
    @Option(
        name: .customLong("journal"),
        help: ArgumentHelp(
            "The SQLite journal of runs. Default: .prewarm/journal.sqlite next to the template (for "
                + ".aws-sam/build/template.yaml, next to .aws-sam).", valueName: "path"))
    var path: String?

    /// Opens an existing journal to read it, writing nothing (so that it reads on a full disk too), for the
    /// commands that read one: `--journal`, else the journal of the template (given, or found as
    /// `TemplateArgument` finds it).
    ///
    /// - Throws: `CommandFailure` (exit 2) when there is no journal there; `JournalError` for a file that is
    ///   not a journal or one written by a newer prewarm.
    func openExisting(template: TemplateArgument) async throws -> Journal {
        let path = try self.path ?? BuildConfiguration.journalPath(nil, forTemplate: template.resolvedPath())
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(
                message: "no journal at \(path): nothing has been built for this template yet "
                    + "(run prewarm build, or pass --journal)",
                exitCode: .unusableInput)
        }
        return try await Journal(readingAt: path)
    }
}
