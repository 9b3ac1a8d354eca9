import Foundation
import PrewarmTestKit

@testable import PrewarmJournal

/// The path of a new journal file in `directory`.
func journalPath(in directory: TemporaryDirectory, _ name: String = "journal.sqlite") -> String {
    URL(fileURLWithPath: directory.path).appendingPathComponent(name).path
}

/// The id of a process that has exited and been reaped: `kill(pid, 0)` fails with `ESRCH`.
func deadProcessID() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "exit 0"]
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}

/// A journal opened as another process of this machine: `processID`, recorded with this boot.
func journal(at path: String, asProcess processID: Int32, now: @escaping @Sendable () -> Date = { Date() })
    async throws -> Journal
{
    try await Journal(
        path: path, migrations: Schema.migrations,
        identity: ProcessIdentity(processID: processID, bootID: ProcessIdentity.currentBootID), now: now)
}

/// A clock that tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date()) {
        current = start
    }

    var now: Date { lock.withLock { current } }

    func advance(by seconds: TimeInterval) {
        lock.withLock { current += seconds }
    }
}

extension Journal {
    /// Begins a run with placeholder options, for tests that only need a run.
    func beginTestRun(_ template: String = "/work/app/template.yaml") throws -> RunRecord {
        try beginRun(templatePath: template, optionsJSON: #"{"arch":["x86_64"]}"#, prewarmVersion: "0.0.0-test")
    }
}

/// The bytes of the file at `path`.
func contents(of path: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: path))
}

/// The names of the files in `directory`, sorted.
func files(in directory: TemporaryDirectory) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
}
