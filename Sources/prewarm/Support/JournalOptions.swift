import ArgumentParser
import Foundation
import PrewarmJournal
import PrewarmSupport

/// Where the journal is: `--journal PATH`, else `.prewarm/journal.sqlite` next to the template.
struct JournalOptions: ParsableArguments {
    @Option(
        name: .customLong("journal"),
        help: ArgumentHelp(
            "The SQLite journal of runs. Default: .prewarm/journal.sqlite next to the template.", valueName: "path"))
    var path: String?

    /// The journal's path for the template at `template`.
    func journalPath(forTemplate template: String) -> String {
        if let path { return path }
        return URL(fileURLWithPath: template).deletingLastPathComponent()
            .appendingPathComponent(".prewarm/journal.sqlite").path
    }

    /// Opens the journal, creating its directory when `create` is set.
    ///
    /// - Throws: `CommandFailure` (exit 2) with the journal's one-line message: a file that is not
    ///   a journal, one written by a newer prewarm, a directory that cannot be created.
    func open(forTemplate template: String, create: Bool) async throws -> Journal {
        let path = journalPath(forTemplate: template)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: path) {
            guard create else {
                throw CommandFailure(
                    message: "no journal at \(path): nothing has been built for this template yet "
                        + "(run prewarm build, or pass --journal)",
                    exitCode: .unusableInput)
            }
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw CommandFailure(
                    message: "cannot create \(directory) for the journal: \(describeSystemError(error)); "
                        + "check its permissions, or pass --journal", exitCode: .unusableInput)
            }
        }
        do {
            return try await Journal(path: path)
        } catch let error as JournalError {
            throw CommandFailure(message: error.message, exitCode: .unusableInput)
        }
    }
}
