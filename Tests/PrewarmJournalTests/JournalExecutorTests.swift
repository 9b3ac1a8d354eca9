import CSQLite
import Dispatch
import Foundation
import PrewarmTestKit
import Testing

@testable import PrewarmJournal

@Suite struct JournalExecutorTests {
    /// Journals waiting for a lock must not hold Swift's cooperative threads: more journals than
    /// cores wait for another process's lock while other tasks keep running.
    @Test func journalsWaitingForALockLeaveTheCooperativePoolFree() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let count = ProcessInfo.processInfo.activeProcessorCount + 2
        var journals: [Journal] = []
        var runs: [RunID] = []
        for _ in 0..<count {
            let journal = try await Journal(path: path, busyTimeout: .seconds(30))
            journals.append(journal)
            runs.append(try await journal.beginTestRun().id)
        }

        let lockHeld = DispatchSemaphore(value: 0)
        let lockHolder = Thread {
            // Another connection holds the write lock for 3 seconds, like a busy prewarm would.
            var handle: OpaquePointer?
            guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else { return }
            sqlite3_exec(handle, "BEGIN IMMEDIATE", nil, nil, nil)
            lockHeld.signal()
            Thread.sleep(forTimeInterval: 3)
            sqlite3_exec(handle, "COMMIT", nil, nil, nil)
            sqlite3_close_v2(handle)
        }
        lockHolder.start()
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                lockHeld.wait()
                continuation.resume()
            }
        }

        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for (journal, run) in zip(journals, runs) {
                group.addTask { try await journal.claim(contentKey: "k-\(run)", for: run).isAcquired }
            }
            // Meanwhile, other tasks still get threads to run on.
            var ticks = 0
            for _ in 0..<10 {
                try await Task.sleep(for: .milliseconds(20))
                ticks += 1
            }
            let elapsed = ContinuousClock.now - start
            #expect(ticks == 10)
            #expect(elapsed < .milliseconds(1500), "tasks stalled for \(elapsed) while journals waited for a lock")
            for try await acquired in group { #expect(acquired) }
        }
        #expect(ContinuousClock.now - start >= .seconds(2), "the claims did not wait for the lock")
    }
}
