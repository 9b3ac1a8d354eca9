import Foundation
import PrewarmRun
import Testing

@Suite struct SAMBuildLockTests {
    @Test func namesTheFilesAsSAMCLIDoes() {
        // samcli/local/common/file_lock.py: ':' and '/' become '_', then anything but word characters,
        // '-', '_' and '.'.
        let lock = SAMBuildLock(
            name: "samcli/lambda-python:3.12-x86_64-91703c73979b3b02baafdc59a", temporaryDirectory: "/t")
        #expect(lock.lockPath == "/t/samcli_lambda-python_3.12-x86_64-91703c73979b3b02baafdc59a.building.lock")
        #expect(lock.statusPath == "/t/samcli_lambda-python_3.12-x86_64-91703c73979b3b02baafdc59a.building.status")
        #expect(
            SAMBuildLock(name: "127.0.0.1:rapid-x86_64", temporaryDirectory: "/t").lockPath
                == "/t/127.0.0.1_rapid-x86_64.building.lock")
        #expect(SAMBuildLock.temporaryDirectory(environment: ["TMPDIR": "/var/tmp/"]) == "/var/tmp")
        #expect(SAMBuildLock.temporaryDirectory(environment: [:]) == "/tmp")
    }

    @Test func heldWhileBuildingThenCompletedOrFailed() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pw-lock-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lock = SAMBuildLock(name: "public.ecr.aws/lambda/python:3.12-rapid-x86_64", temporaryDirectory: directory)
        let seen = try await lock.holding { () -> String in
            #expect(FileManager.default.fileExists(atPath: lock.lockPath), "held while the body runs")
            return String(decoding: FileManager.default.contents(atPath: lock.statusPath) ?? Data(), as: UTF8.self)
        }
        #expect(seen.hasPrefix("in_progress\n"))
        #expect(!FileManager.default.fileExists(atPath: lock.lockPath), "released after")
        #expect(
            String(decoding: FileManager.default.contents(atPath: lock.statusPath) ?? Data(), as: UTF8.self).hasPrefix(
                "completed\n"))

        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await lock.holding { throw Failure() } }
        #expect(!FileManager.default.fileExists(atPath: lock.lockPath))
        #expect(
            String(decoding: FileManager.default.contents(atPath: lock.statusPath) ?? Data(), as: UTF8.self).hasPrefix(
                "failed\n"))
    }

    /// A lock left by a process that is gone (a killed prewarm, a killed `sam local`) does not make the
    /// next build wait out SAM's 300 s; a live holder's lock is waited for.
    @Test func aDeadHoldersLockIsNotWaitedFor() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pw-lock-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lock = SAMBuildLock(name: "samcli/lambda-python:3.12-x86_64-dead", temporaryDirectory: directory)
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        FileManager.default.createFile(
            atPath: lock.lockPath, contents: Data("\(ended.processIdentifier)\n\(Date().timeIntervalSince1970)".utf8))
        #expect(!lock.holderIsAlive())
        // Bounded: if the dead holder's lock were waited for, this would take 300 s.
        let finished = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await lock.holding { true } }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        #expect(finished, "the stale lock of a process that is gone is taken over")

        FileManager.default.createFile(
            atPath: lock.lockPath,
            contents: Data("\(ProcessInfo.processInfo.processIdentifier)\n\(Date().timeIntervalSince1970)".utf8))
        #expect(lock.holderIsAlive(), "a live holder's lock counts")
    }
}
