import Foundation
import PrewarmTestKit
import Testing

@testable import PrewarmJournal

@Suite struct JournalRunTests {
    let plan = [
        PlannedNode(
            id: "layer:arn:aws:lambda:us-east-1:123456789012:layer:deps:3", kind: .layer, contentKey: "k-layer"),
        PlannedNode(id: "base:public.ecr.aws/lambda/python:3.12-x86_64", kind: .base, contentKey: "k-base"),
        PlannedNode(id: "image:samcli/lambda-python:3.12-x86_64-abc", kind: .image, contentKey: "k-image"),
    ]

    @Test func recordsARunAndItsNodesFromStartToEnd() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let journal = try await Journal(
            path: journalPath(in: directory), migrations: Schema.migrations, now: { clock.now })
        let (layer, base, image) = (plan[0].id, plan[1].id, plan[2].id)

        let run = try await journal.beginRun(
            templatePath: "/work/app/template.yaml", optionsJSON: #"{"arch":["x86_64","arm64"]}"#,
            prewarmVersion: "0.1.0")
        #expect(run.outcome == .running)
        #expect(run.processID == getpid())
        #expect(run.startedAt == clock.now)
        try await journal.addNodes(plan, to: run.id)
        try await journal.addNodes(plan, to: run.id)  // adding the same plan again changes nothing

        // The layer is reused from an earlier run without starting.
        try await journal.finishNode(
            layer, in: run.id, result: .skipped(reused: NodeOutput(digest: "sha256:11"), reason: "built before"))
        // The base succeeds at once.
        try await journal.startNode(base, in: run.id)
        clock.advance(by: 2)
        try await journal.finishNode(base, in: run.id, result: .succeeded(NodeOutput(digest: "sha256:22")))
        // The image fails once, then succeeds.
        try await journal.startNode(image, in: run.id)
        #expect(try await journal.node(image, in: run.id)?.state == .running)
        clock.advance(by: 1)
        try await journal.finishNode(image, in: run.id, result: .failed(message: "engine went away"))
        #expect(try await journal.node(image, in: run.id)?.errorMessage == "engine went away")
        try await journal.startNode(image, in: run.id)
        clock.advance(by: 3)
        let output = NodeOutput(digest: "sha256:33", name: "samcli/lambda-python:3.12-x86_64-abc")
        try await journal.finishNode(image, in: run.id, result: .succeeded(output))
        clock.advance(by: 1)
        try await journal.finishRun(run.id, outcome: .succeeded)

        let detail = try #require(try await journal.run(run.id))
        #expect(detail.run.outcome == .succeeded)
        #expect(detail.run.endedAt == clock.now)
        #expect(detail.run.optionsJSON == #"{"arch":["x86_64","arm64"]}"#)
        #expect(detail.run.prewarmVersion == "0.1.0")
        #expect(detail.nodes.map(\.nodeID) == plan.map(\.id))
        #expect(detail.nodes.map(\.kind) == [.layer, .base, .image])
        #expect(detail.nodes.map(\.state) == [.skipped, .succeeded, .succeeded])
        #expect(detail.nodes.map(\.attempts) == [0, 1, 2])
        #expect(detail.nodes.map(\.duration) == [nil, .seconds(2), .seconds(3)])
        #expect(detail.nodes[0].output == NodeOutput(digest: "sha256:11"))
        #expect(detail.nodes[0].errorMessage == "built before")
        #expect(detail.nodes[0].startedAt == nil)
        #expect(detail.nodes[2].output == output)
        #expect(detail.nodes[2].errorMessage == nil)
        #expect(detail.nodes[2].contentKey == "k-image")
    }

    @Test func listsRunsNewestFirst() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let journal = try await Journal(path: journalPath(in: directory))
        var ids: [RunID] = []
        for template in ["/a.yaml", "/b.yaml", "/a.yaml"] {
            ids.append(try await journal.beginTestRun(template).id)
        }

        #expect(try await journal.runs().map(\.id) == ids.reversed())
        #expect(try await journal.runs(limit: 2).map(\.id) == [ids[2], ids[1]])
        #expect(try await journal.run(RunID(rawValue: 999)) == nil)
    }

    @Test func findsTheLatestUnfinishedRunOfATemplate() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let journal = try await Journal(path: journalPath(in: directory))
        #expect(try await journal.latestUnfinishedRun(templatePath: "/a.yaml") == nil)

        let first = try await journal.beginTestRun("/a.yaml")
        try await journal.finishRun(first.id, outcome: .succeeded)
        #expect(try await journal.latestUnfinishedRun(templatePath: "/a.yaml") == nil)

        let failed = try await journal.beginTestRun("/a.yaml")
        try await journal.finishRun(failed.id, outcome: .failed)
        let other = try await journal.beginTestRun("/b.yaml")  // another template's run is not a candidate
        #expect(try await journal.latestUnfinishedRun(templatePath: "/a.yaml")?.id == failed.id)
        #expect(try await journal.latestUnfinishedRun(templatePath: "/a.yaml")?.outcome == .failed)

        // A run still going in a live process is reported as running.
        #expect(try await journal.latestUnfinishedRun(templatePath: "/b.yaml")?.id == other.id)
        #expect(try await journal.latestUnfinishedRun(templatePath: "/b.yaml")?.outcome == .running)

        let resumed = try await journal.beginTestRun("/a.yaml")
        try await journal.finishRun(resumed.id, outcome: .succeeded)
        #expect(try await journal.latestUnfinishedRun(templatePath: "/a.yaml") == nil)
    }

    @Test func aRunLeftRunningByADeadProcessReadsAsInterrupted() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let ghost = try await journal(at: path, asProcess: try deadProcessID())
        let run = try await ghost.beginTestRun("/a.yaml")
        try await ghost.addNodes(plan, to: run.id)
        try await ghost.startNode(plan[1].id, in: run.id)

        let journal = try await Journal(path: path)
        #expect(try await journal.runs().map(\.outcome) == [.interrupted])
        let detail = try #require(try await journal.run(run.id))
        #expect(detail.run.outcome == .interrupted)
        #expect(detail.run.endedAt == nil)
        #expect(detail.nodes.map(\.state) == [.pending, .interrupted, .pending])
        #expect(try await journal.node(plan[1].id, in: run.id)?.state == .interrupted)
        #expect(try await journal.latestUnfinishedRun(templatePath: "/a.yaml")?.outcome == .interrupted)
        // Reading changes nothing in the file.
        #expect(try RawSQLite.run(path, "SELECT outcome FROM runs") == ["running"])
    }

    @Test(.enabled(if: ProcessIdentity.currentBootID != nil))
    func aRunOfAnEarlierBootReadsAsInterruptedEvenIfItsPIDIsAlive() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let beforeRestart = try await Journal(
            path: path, migrations: Schema.migrations,
            identity: ProcessIdentity(processID: getpid(), bootID: "00000000-0000-0000-0000-000000000000"))
        let run = try await beforeRestart.beginTestRun()

        #expect(try await Journal(path: path).run(run.id)?.run.outcome == .interrupted)
    }

    @Test func finishingARunInterruptsItsRunningNodesAndReleasesItsClaims() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let journal = try await Journal(path: journalPath(in: directory))
        let run = try await journal.beginTestRun()
        try await journal.addNodes(plan, to: run.id)
        _ = try await journal.claim(contentKey: plan[2].contentKey, for: run.id)
        try await journal.startNode(plan[2].id, in: run.id)

        try await journal.finishRun(run.id, outcome: .interrupted)
        let detail = try #require(try await journal.run(run.id))
        #expect(detail.run.outcome == .interrupted)
        #expect(detail.nodes.map(\.state) == [.pending, .pending, .interrupted])
        #expect(detail.nodes[2].endedAt != nil)
        #expect(try await journal.claims().isEmpty)
    }

    @Test func findsTheLatestSucceededNodeOfAContentKey() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let clock = TestClock()
        let journal = try await Journal(
            path: journalPath(in: directory), migrations: Schema.migrations, now: { clock.now })
        let node = plan[2]
        #expect(try await journal.latestSucceededNode(contentKey: node.contentKey) == nil)

        var runs: [RunID] = []
        for result in [
            NodeResult.succeeded(NodeOutput(digest: "sha256:old")), .succeeded(NodeOutput(digest: "sha256:new")),
            .failed(message: "no space left on device"),
        ] {
            let run = try await journal.beginTestRun()
            try await journal.addNodes([node], to: run.id)
            try await journal.startNode(node.id, in: run.id)
            clock.advance(by: 10)
            try await journal.finishNode(node.id, in: run.id, result: result)
            runs.append(run.id)
        }

        let latest = try #require(try await journal.latestSucceededNode(contentKey: node.contentKey))
        #expect(latest.runID == runs[1])
        #expect(latest.output?.digest == "sha256:new")
        #expect(try await journal.latestSucceededNode(contentKey: "k-other") == nil)
    }

    @Test func refusesWhatItCannotRecord() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let journal = try await Journal(path: path)
        let run = try await journal.beginTestRun()
        let missing = RunID(rawValue: 42)

        let notJSON = await #expect(throws: JournalError.self) {
            try await journal.beginRun(templatePath: "/a.yaml", optionsJSON: "{arch: x86_64", prewarmVersion: "0")
        }
        #expect(notJSON?.code == .invalidArgument)
        let stillRunning = await #expect(throws: JournalError.self) {
            try await journal.finishRun(run.id, outcome: .running)
        }
        #expect(stillRunning?.code == .invalidArgument)

        let failures: [JournalError?] = [
            await #expect(throws: JournalError.self) { try await journal.finishRun(missing, outcome: .failed) },
            await #expect(throws: JournalError.self) { try await journal.addNodes(plan, to: missing) },
            await #expect(throws: JournalError.self) { try await journal.startNode("image:none", in: run.id) },
            await #expect(throws: JournalError.self) {
                try await journal.finishNode("image:none", in: run.id, result: .interrupted)
            },
            await #expect(throws: JournalError.self) { try await journal.claim(contentKey: "k", for: missing) },
        ]
        for failure in failures {
            #expect(failure?.code == .notFound)
            #expect(failure?.description.contains(path) == true)
        }
        #expect(try await journal.runs().count == 1)
    }
}
