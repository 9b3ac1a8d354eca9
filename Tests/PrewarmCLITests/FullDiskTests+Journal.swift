import Foundation
import PrewarmJournal
import PrewarmTestKit
import Testing

extension FullDiskTests {
    /// A journal of two runs, closed when this returns.
    static func writeJournal(at path: String) async throws {
        let journal = try await Journal(path: path)
        for outcome in [RunOutcome.failed, .succeeded] {
            let run = try await journal.beginRun(templatePath: "t.yaml", optionsJSON: "{}", prewarmVersion: "test")
            try await journal.finishRun(run.id, outcome: outcome)
        }
    }

    /// The journal on a full disk (a 1 MB tmpfs filled up): `runs` and `status`, which only read, read it;
    /// a build, which must write it, says in one line that the disk is full.
    @Test func aJournalOnAFullDiskIsReadAndTheFullDiskNamed() async throws {
        let directory = try TemporaryDirectory("prewarm-full-journal")
        defer { directory.remove() }
        let template = try OCITest.quickstart(in: directory)
        let disk = directory.path + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let mounted = try await Self.mount(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", disk])
        try #require(mounted.status == 0, "mounting a tmpfs needs root: \(mounted.stderr)")

        do {
            try await readAndBuild(journal: disk + "/journal.sqlite", template: template, directory: directory)
        } catch {
            _ = try? await Self.mount(["umount", disk])
            throw error
        }
        let unmount = try await Self.mount(["umount", disk])
        #expect(unmount.status == 0, "\(unmount.stderr)")
    }

    /// The checks of `aJournalOnAFullDiskIsReadAndTheFullDiskNamed`, on the mounted disk.
    func readAndBuild(journal: String, template: String, directory: TemporaryDirectory) async throws {
        let disk = (journal as NSString).deletingLastPathComponent
        try await Self.writeJournal(at: journal)
        let dd = try #require(CommandRunner.which("dd"))
        let filled = try await CommandRunner.run(dd, ["if=/dev/zero", "of=\(disk)/filler", "bs=64k"])
        #expect(filled.stderr.contains("No space left on device"), "\(filled.stderr)")

        let runs = try await PrewarmExecutable.run(["runs", "--journal", journal])
        #expect(runs.status == 0, "\(runs.stderr)")
        #expect(runs.stdout.contains("succeeded") && runs.stdout.contains("failed"), "\(runs.stdout)")
        let status = try await PrewarmExecutable.run(["status", "--journal", journal, "--format", "json"])
        #expect(status.status == 0, "\(status.stderr)")
        let detail = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        #expect((detail?["run"] as? [String: Any])?["outcome"] as? String == "succeeded", "\(status.stdout)")

        let build = try await OCITest.prewarm(
            ["build", template, "--engine", "oci", "--oci-store", directory.path + "/store", "--journal", journal],
            home: directory)
        #expect(build.status == 2, "\(build.stderr)")
        let errors = build.stderr.split(separator: "\n").filter { $0.hasPrefix("prewarm: error:") }
        #expect(errors.count == 1, "\(build.stderr)")
        #expect(
            errors.first?.contains(
                "journal \(journal): the file system holding it is full (No space left on device); free some space "
                    + "there, or pass --journal to keep the journal elsewhere") == true,
            "\(build.stderr)")
    }
}
