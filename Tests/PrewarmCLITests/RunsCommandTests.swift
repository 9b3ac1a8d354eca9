import Foundation
import PrewarmJournal
import PrewarmTestKit
import Testing

/// `prewarm runs` and `prewarm status` read a journal written through PrewarmJournal.
@Suite struct RunsCommandTests {
    func journalWithOneRun(in directory: TemporaryDirectory) async throws -> (String, RunID) {
        let path = directory.path + "/journal.sqlite"
        let journal = try await Journal(path: path)
        let run = try await journal.beginRun(templatePath: "t.yaml", optionsJSON: "{}", prewarmVersion: "test")
        try await journal.addNodes(
            [
                PlannedNode(id: "base:b@linux/amd64", kind: .base, contentKey: "base:b"),
                PlannedNode(id: "image:i:rapid-x86_64", kind: .image, contentKey: "sha256:k"),
            ], to: run.id)
        try await journal.startNode("base:b@linux/amd64", in: run.id)
        try await journal.finishNode(
            "base:b@linux/amd64", in: run.id, result: .succeeded(NodeOutput(digest: "sha256:b")))
        try await journal.startNode("image:i:rapid-x86_64", in: run.id)
        try await journal.finishNode("image:i:rapid-x86_64", in: run.id, result: .failed(message: "engine said no"))
        try await journal.finishRun(run.id, outcome: .failed)
        return (path, run.id)
    }

    /// A journal of several pages, closed when this returns: runs with long template paths.
    func journalOfManyRuns(at path: String) async throws {
        let journal = try await Journal(path: path)
        for index in 0..<120 {
            _ = try await journal.beginRun(
                templatePath: "/app-\(index)/" + String(repeating: "t", count: 200), optionsJSON: "{}",
                prewarmVersion: "test")
        }
    }

    @Test func runsAndStatusShowTheJournal() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (path, runID) = try await journalWithOneRun(in: directory)
        let runs = try await PrewarmExecutable.run(["runs", "--journal", path])
        #expect(runs.status == 0, "\(runs.stderr)")
        #expect(runs.stdout.contains("failed"))
        #expect(runs.stdout.contains("t.yaml"))

        let status = try await PrewarmExecutable.run(["status", "\(runID)", "--journal", path, "--format", "json"])
        #expect(status.status == 0, "\(status.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let nodes = try #require(object?["nodes"] as? [[String: Any]])
        #expect(nodes.count == 2)
        #expect(nodes.contains { $0["state"] as? String == "failed" && $0["error"] as? String == "engine said no" })
        #expect(nodes.contains { $0["state"] as? String == "succeeded" && $0["output"] as? String == "sha256:b" })

        let text = try await PrewarmExecutable.run(["status", "--journal", path])
        #expect(text.stdout.contains("engine said no"))
    }

    @Test func missingUnknownOrForeignJournalsAreOneLineErrors() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = try await PrewarmExecutable.run(["runs", directory.path + "/template.yaml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no journal at"))

        let garbage = try directory.write("garbage.sqlite", String(repeating: "not a database\n", count: 100))
        let before = try Data(contentsOf: URL(fileURLWithPath: garbage))
        let foreign = try await PrewarmExecutable.run(["runs", "--journal", garbage])
        #expect(foreign.status == 2)
        #expect(foreign.stderr.split(separator: "\n").count == 1)
        #expect(foreign.stderr.contains("garbage.sqlite"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: garbage)) == before)

        let (path, _) = try await journalWithOneRun(in: directory)
        // A page of garbage in the middle: the journal is damaged, said without SQLite's page numbers.
        let damaged = directory.path + "/damaged.sqlite"
        try await journalOfManyRuns(at: damaged)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
        try #require(bytes.count >= 6 * 4096, "\(bytes.count) bytes")
        let middle = bytes.count / 4096 / 2 * 4096
        bytes.replaceSubrange(
            middle..<(middle + 4096), with: Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7) }))
        try bytes.write(to: URL(fileURLWithPath: damaged))
        let refused = try await PrewarmExecutable.run(["runs", "--journal", damaged])
        #expect(refused.status == 2)
        #expect(
            refused.stderr
                == "prewarm: error: the journal at \(damaged) is damaged (SQLite cannot read all of its pages); it was "
                + "left as it is: move it away or pass --journal to start a new one\n")
        #expect(try Data(contentsOf: URL(fileURLWithPath: damaged)) == bytes)

        let unknown = try await PrewarmExecutable.run(["status", "99", "--journal", path])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no run 99"))
    }
}
