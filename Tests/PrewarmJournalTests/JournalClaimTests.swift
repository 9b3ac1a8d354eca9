import Foundation
import PrewarmTestKit
import Testing

@testable import PrewarmJournal

@Suite struct JournalClaimTests {
    @Test func manyTasksOnTwoConnectionsRacingForTheSameKeysLetExactlyOneWinEach() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let journals = [try await Journal(path: path), try await Journal(path: path)]
        let keys = (0..<12).map { "key-\($0)" }

        // Each task is a run of its own that tries to claim every key.
        let wins = try await withThrowingTaskGroup(of: [(key: String, run: RunID)].self) { group in
            for task in 0..<32 {
                let journal = journals[task % journals.count]
                group.addTask {
                    let run = try await journal.beginTestRun()
                    var won: [(key: String, run: RunID)] = []
                    for key in keys.shuffled() {
                        if try await journal.claim(contentKey: key, for: run.id).isAcquired {
                            won.append((key, run.id))
                        }
                    }
                    return won
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }

        #expect(wins.map(\.key).sorted() == keys.sorted())
        let holders = try await journals[0].claims()
        #expect(holders.map(\.contentKey) == keys.sorted())
        for win in wins {
            #expect(holders.first { $0.contentKey == win.key }?.runID == win.run)
        }
    }

    @Test func claimsAreExclusiveUntilReleased() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let first = try await Journal(path: path)
        let second = try await Journal(path: path)
        let runA = try await first.beginTestRun()
        let runB = try await second.beginTestRun()

        #expect(try await first.claim(contentKey: "k", for: runA.id) == .acquired(takenOverFrom: nil))
        // Not re-entrant: the holder itself is told the key is held, by itself.
        guard case .held(let holder) = try await first.claim(contentKey: "k", for: runA.id) else {
            Issue.record("a second claim by the holder must not be acquired")
            return
        }
        #expect(holder.runID == runA.id)
        #expect(holder.processID == getpid())
        #expect(try await second.claim(contentKey: "k", for: runB.id) == .held(by: holder))

        // Only the holder releases it.
        #expect(try await second.releaseClaim(contentKey: "k", for: runB.id) == false)
        #expect(try await first.releaseClaim(contentKey: "k", for: runA.id) == true)
        #expect(try await second.claim(contentKey: "k", for: runB.id).isAcquired)
    }

    @Test func finishingANodeReleasesItsKeyAndTheNextHolderSeesTheResult() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let first = try await Journal(path: path)
        let second = try await Journal(path: path)
        let node = PlannedNode(id: "image:samcli/lambda-python:3.12-x86_64-abc", kind: .image, contentKey: "k")
        let runA = try await first.beginTestRun()
        let runB = try await second.beginTestRun()
        try await first.addNodes([node], to: runA.id)
        try await second.addNodes([node], to: runB.id)

        #expect(try await first.claim(contentKey: "k", for: runA.id).isAcquired)
        try await first.startNode(node.id, in: runA.id)
        #expect(try await second.claim(contentKey: "k", for: runB.id).isAcquired == false)
        try await first.finishNode(node.id, in: runA.id, result: .succeeded(NodeOutput(digest: "sha256:aa")))

        #expect(try await second.claim(contentKey: "k", for: runB.id).isAcquired)
        #expect(try await second.latestSucceededNode(contentKey: "k")?.runID == runA.id)
    }

    @Test func aClaimOfADeadProcessIsTakenOver() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let deadPID = try deadProcessID()
        let ghost = try await journal(at: path, asProcess: deadPID)
        let ghostRun = try await ghost.beginTestRun()
        #expect(try await ghost.claim(contentKey: "k", for: ghostRun.id).isAcquired)

        let journal = try await Journal(path: path)
        let run = try await journal.beginTestRun()
        guard case .acquired(let previous?) = try await journal.claim(contentKey: "k", for: run.id) else {
            Issue.record("the claim of a dead process must be taken over")
            return
        }
        #expect(previous.processID == deadPID)
        #expect(previous.runID == ghostRun.id)
        #expect(try await journal.claims().map(\.runID) == [run.id])
        // The dead run's process cannot release what it no longer holds.
        #expect(try await ghost.releaseClaim(contentKey: "k", for: ghostRun.id) == false)
    }

    @Test(.enabled(if: ProcessIdentity.currentBootID != nil))
    func aClaimOfAnEarlierBootIsTakenOver() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let beforeRestart = try await Journal(
            path: path, migrations: Schema.migrations,
            identity: ProcessIdentity(processID: getpid(), bootID: "00000000-0000-0000-0000-000000000000"))
        let oldRun = try await beforeRestart.beginTestRun()
        #expect(try await beforeRestart.claim(contentKey: "k", for: oldRun.id).isAcquired)

        let journal = try await Journal(path: path)
        let run = try await journal.beginTestRun()
        #expect(try await journal.claim(contentKey: "k", for: run.id) != .acquired(takenOverFrom: nil))
        #expect(try await journal.claims().map(\.runID) == [run.id])
    }

    @Test func aClaimOlderThanTheLeaseIsTakenOverUnlessRenewed() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let start = Date()
        let holderClock = TestClock(start)
        let otherClock = TestClock(start)
        let holder = try await Journal(path: path, migrations: Schema.migrations, now: { holderClock.now })
        let other = try await Journal(path: path, migrations: Schema.migrations, now: { otherClock.now })
        let holderRun = try await holder.beginTestRun()
        let otherRun = try await other.beginTestRun()
        let lease = Duration.seconds(3600)

        #expect(try await holder.claim(contentKey: "k", for: holderRun.id, lease: lease).isAcquired)
        holderClock.advance(by: 3000)
        #expect(try await holder.renewClaim(contentKey: "k", for: holderRun.id))

        // 70 minutes after the claim, 20 after the renewal: still held.
        otherClock.advance(by: 4200)
        #expect(try await other.claim(contentKey: "k", for: otherRun.id, lease: lease).isAcquired == false)

        // Two hours after the claim, 70 minutes after the renewal: expired, though the holder lives.
        otherClock.advance(by: 3000)
        guard case .acquired(let previous?) = try await other.claim(contentKey: "k", for: otherRun.id, lease: lease)
        else {
            Issue.record("an expired claim must be taken over")
            return
        }
        #expect(previous.runID == holderRun.id)
        #expect(abs(previous.claimedAt.timeIntervalSince(start + 3000)) < 0.001)
        // The old holder learns that it lost the key.
        #expect(try await holder.renewClaim(contentKey: "k", for: holderRun.id) == false)
    }
}
