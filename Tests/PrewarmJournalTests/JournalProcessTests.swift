import Foundation
import PrewarmTestKit
import Testing

@testable import PrewarmJournal

/// Several processes on one journal file: each a `JournalRacer` (Tests/JournalRacer), which uses
/// `Journal` as prewarm does.
@Suite struct JournalProcessTests {
    @Test func processesRacingToBuildTheSameKeysBuildEachOnce() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let goFile = journalPath(in: directory, "go")
        let keys = (0..<60).map { "key-\($0)" }
        _ = try await Journal(path: path)  // created once, so that the racers' opening is not what is raced

        let racers = try (0..<3).map {
            try RacerProcess(["build", path, goFile, "\(keys.count)"], in: directory, name: "racer-\($0)")
        }
        try directory.write("go", "")
        var results: [(status: Int32, stdout: String, stderr: String)] = []
        for racer in racers { results.append(await racer.wait()) }

        var builtBy: [String: Int] = [:]
        for (index, result) in results.enumerated() {
            #expect(result.status == 0, "racer \(index) failed: \(result.stderr)")
            for line in result.stdout.split(separator: "\n") where line.hasPrefix("built ") {
                let key = String(line.dropFirst("built ".count))
                #expect(builtBy[key] == nil, "\(key) built by racers \(builtBy[key] ?? -1) and \(index)")
                builtBy[key] = index
            }
        }
        #expect(builtBy.keys.sorted() == keys.sorted())

        let journal = try await Journal(path: path)
        let runs = try await journal.runs()
        #expect(runs.count == 3)
        #expect(runs.allSatisfy { $0.outcome == .succeeded })
        for key in keys {
            let succeeded = try RawSQLite.run(
                path, "SELECT count(*) FROM nodes WHERE content_key = '\(key)' AND state = 'succeeded'")
            #expect(succeeded == ["1"], "\(key)")
        }
        #expect(try await journal.claims().isEmpty)
        #expect(try RawSQLite.run(path, "PRAGMA integrity_check") == ["ok"])
    }

    @Test func aKilledProcessLeavesAnInterruptedRunAndAClaimThatIsTakenOver() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = journalPath(in: directory)
        let journal = try await Journal(path: path)

        let holder = try RacerProcess(["hold", path, "k"], in: directory, name: "holder")
        let line = try await holder.waitForOutput(prefix: "holding ")
        let runID = RunID(rawValue: try #require(Int64(line.dropFirst("holding ".count))))

        // While the holder lives, its run is running and its claim holds.
        let run = try await journal.beginTestRun()
        #expect(try await journal.run(runID)?.run.outcome == .running)
        guard case .held(let claim) = try await journal.claim(contentKey: "k", for: run.id) else {
            Issue.record("a live process's claim must hold")
            await holder.kill()
            return
        }
        #expect(claim.processID == holder.processID)

        await holder.kill()
        let detail = try #require(try await journal.run(runID))
        #expect(detail.run.outcome == .interrupted)
        #expect(detail.nodes.map(\.state) == [.interrupted])
        #expect(try await journal.latestUnfinishedRun(templatePath: "/hold/template.yaml")?.id == runID)
        #expect(try await journal.claim(contentKey: "k", for: run.id) == .acquired(takenOverFrom: claim))
        #expect(try RawSQLite.run(path, "PRAGMA integrity_check") == ["ok"])
    }
}

/// A `JournalRacer` process, its output going to files in the test's directory.
///
/// Waiting never blocks a thread: the tests share Swift's cooperative pool with tests that
/// measure it (see `JournalExecutorTests`).
final class RacerProcess {
    private let process = Process()
    private let exit: AsyncStream<Int32>
    private let stdoutPath: String
    private let stderrPath: String

    /// The racer built next to the test bundle.
    static var executable: URL? {
        Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("JournalRacer")
    }

    init(_ arguments: [String], in directory: TemporaryDirectory, name: String) throws {
        let executable = try #require(Self.executable)
        try #require(
            FileManager.default.isExecutableFile(atPath: executable.path),
            "JournalRacer not built at \(executable.path)")
        stdoutPath = try directory.write("\(name).stdout", "")
        stderrPath = try directory.write("\(name).stderr", "")
        let (exit, exited) = AsyncStream.makeStream(of: Int32.self)
        self.exit = exit
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.terminationHandler = { process in
            exited.yield(process.terminationStatus)
            exited.finish()
        }
        try process.run()
    }

    var processID: Int32 { process.processIdentifier }

    /// Waits for the process to exit and returns its status and what it printed.
    func wait() async -> (status: Int32, stdout: String, stderr: String) {
        var status: Int32 = -1
        for await exitStatus in exit { status = exitStatus }
        return (status, read(stdoutPath), read(stderrPath))
    }

    /// Waits (up to 60 s) for the process to print a line starting with `prefix`, and returns it.
    func waitForOutput(prefix: String) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, process.isRunning {
            if let line = read(stdoutPath).split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                return String(line)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        await kill()
        throw RawSQLite.Failure(description: "no line \(prefix)… from JournalRacer; stderr: \(read(stderrPath))")
    }

    /// Kills the process with SIGKILL, as a crash would, and waits until it is reaped.
    func kill() async {
        if process.isRunning { _ = Foundation.kill(process.processIdentifier, SIGKILL) }
        _ = await wait()
    }

    private func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }
}
