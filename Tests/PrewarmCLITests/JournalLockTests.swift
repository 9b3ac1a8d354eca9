import Foundation
import PrewarmTestKit
import Testing

/// A journal another process keeps locked: the error says which process holds it.
@Suite struct JournalLockTests {
    @Test func aLockedJournalNamesTheProcessHoldingIt() async throws {
        let directory = try TemporaryDirectory("prewarm-journal-lock")
        defer { directory.remove() }
        let source = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/quickstart").path
        try FileManager.default.copyItem(atPath: source, toPath: directory.path + "/app")
        let template = directory.path + "/app/template.yaml"
        let journal = directory.path + "/journal.sqlite"
        let build = [
            "build", template, "--engine", "oci", "--oci-store", directory.path + "/store", "--journal", journal,
        ]
        let first = try await PrewarmExecutable.run(build)
        #expect(first.status == 0, "\(first.stderr)")

        // Another process takes the journal's write lock and keeps it.
        let python = try #require(CommandRunner.which("python3"))
        let holder = try BackgroundProcess(
            python,
            [
                "-c",
                "import sqlite3, sys, time\n"
                    + "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
                    + "c.execute('BEGIN IMMEDIATE')\n"
                    + "print('locked', flush=True)\n"
                    + "time.sleep(120)\n",
                journal,
            ])
        #expect(await holder.wait(timeout: .seconds(30)) { $0.contains("locked") })
        let second = try await PrewarmExecutable.run(build)
        await holder.kill()
        #expect(second.status == 2, "\(second.stderr)")
        #expect(second.stderr.contains("stayed locked by process \(holder.processIdentifier)"), "\(second.stderr)")
        #expect(second.stderr.contains("python3"), "\(second.stderr)")
    }
}
