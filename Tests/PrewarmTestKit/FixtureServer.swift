import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fixture server run as a child process for one test, and stopped by that test, by its process id.
///
/// The program must print `LISTENING <port or socket path>` on a line of its own once it accepts
/// connections; other `WORD value` lines printed before it are kept in `announcements`.
public final class FixtureServer: Sendable {
    /// The child's process id.
    public let pid: Int32
    /// What followed `LISTENING`: a port number or a socket path.
    public let listening: String
    /// Every `WORD value` line printed up to `LISTENING`, by word.
    public let announcements: [String: String]
    private let process: ProcessBox

    /// The port the server listens on, or `nil` when it listens on a unix socket.
    public var port: Int? { Int(listening) }

    /// `http://127.0.0.1:PORT` (or `https://…`).
    public func baseURL(scheme: String = "http") -> String {
        "\(scheme)://127.0.0.1:\(listening)"
    }

    /// Starts `python3 script arguments…` with its output in `directory`, and waits until it listens.
    ///
    /// - Throws: when python3 is missing, or the server exits or says nothing within `timeout`.
    public static func startPython(
        _ script: String, _ arguments: [String], in directory: TemporaryDirectory, timeout: Duration = .seconds(20)
    ) async throws -> FixtureServer {
        guard let python = CommandRunner.which("python3") else { throw FixtureServerError("python3 is not on PATH") }
        return try await start(python, [script] + arguments, in: directory, timeout: timeout)
    }

    /// Starts `executable arguments…` with its output in `directory`, and waits until it listens.
    public static func start(
        _ executable: String, _ arguments: [String], in directory: TemporaryDirectory, timeout: Duration = .seconds(20)
    ) async throws -> FixtureServer {
        let label = UUID().uuidString
        let stdoutPath = try directory.write("server-\(label).out", "")
        let stderrPath = try directory.write("server-\(label).err", "")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdout = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? stdout.close()
        try? stderr.close()
        let box = ProcessBox(process)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            let output = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
            var announcements: [String: String] = [:]
            for line in output.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                if parts[0] == "LISTENING" {
                    return FixtureServer(
                        pid: process.processIdentifier, listening: parts[1], announcements: announcements,
                        process: box)
                }
                announcements[parts[0]] = parts[1]
            }
            if !process.isRunning {
                let errors = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
                throw FixtureServerError("the fixture server exited with \(process.terminationStatus): \(errors)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        box.stop()
        throw FixtureServerError("the fixture server did not start listening within \(timeout)")
    }

    private init(pid: Int32, listening: String, announcements: [String: String], process: ProcessBox) {
        self.pid = pid
        self.listening = listening
        self.announcements = announcements
        self.process = process
    }

    /// Ends the server (SIGTERM to its own process id) and waits for it. Safe to call more than once.
    public func stop() {
        process.stop()
    }

    deinit {
        process.stop()
    }
}

/// Why a fixture server could not be started.
public struct FixtureServerError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A `Process`, which is not `Sendable`, used only under a lock.
private final class ProcessBox: @unchecked Sendable {
    private let lock = NSLock()
    private let process: Process
    private var stopped = false

    init(_ process: Process) {
        self.process = process
    }

    /// SIGTERM, then SIGKILL after 5 seconds, and reaps the child with `waitpid` (Foundation's
    /// `waitUntilExit` can spin forever off the main thread on Linux).
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<500 {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno == ECHILD) { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
    }
}
