import Foundation

/// What a finished program printed, and how it exited.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum CommandRunner {
    /// Runs `executable` with `arguments` in `directory`, with no standard input, and waits
    /// without blocking a thread (tests run in parallel on a small thread pool).
    ///
    /// Output goes to temporary files rather than pipes, so a child that prints a lot never
    /// blocks on a full pipe.
    ///
    /// - Parameter environment: the child's whole environment; `nil` (the default) passes on the
    ///   test process's own.
    public static func run(
        _ executable: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String]? = nil
    ) async throws -> CommandResult {
        let scratch = try TemporaryDirectory("prewarm-run")
        defer { scratch.remove() }
        let stdoutPath = try scratch.write("stdout", "")
        let stderrPath = try scratch.write("stderr", "")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let stdout = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let stderr = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume()
            }
        }
        guard process.processIdentifier != 0 else {
            throw CocoaError(.executableNotLoadable, userInfo: [NSFilePathErrorKey: executable])
        }
        try stdout.close()
        try stderr.close()
        return CommandResult(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "")
    }

    /// The path of the program `name` on `PATH`, or `nil` when there is none.
    public static func which(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// The `prewarm` executable built next to the tests.
public enum PrewarmExecutable {
    /// `$PREWARM_BINARY` when set, else `prewarm` in the directory of the running test bundle
    /// (SwiftPM builds both into the same directory).
    public static var path: String {
        if let path = ProcessInfo.processInfo.environment["PREWARM_BINARY"] { return path }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        // On some platforms the bundle is a directory: .../prewarmPackageTests.xctest/Contents/MacOS/…
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("prewarm").path),
            directory.path != "/"
        {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("prewarm").path
    }

    /// Runs `prewarm` with `arguments`; `environment`, when given, is its whole environment.
    public static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil)
        async throws -> CommandResult
    {
        try await CommandRunner.run(path, arguments, in: directory, environment: environment)
    }
}

/// A program running in the background whose output lines the test can wait for, and kill.
public final class BackgroundProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var buffer = Data()
    private var collected: [String] = []
    private var reachedEnd = false
    private let errorOutput: FileHandle
    private let scratch: TemporaryDirectory
    private let errorPath: String

    /// Starts `executable` with `arguments`; its standard output is collected line by line, its
    /// standard error into a file that ``stderr`` reads (for the message of a failed expectation).
    /// `environment`, when given, is its whole environment; `directory`, when given, its working directory.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, in directory: String? = nil
    ) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let output = Pipe()
        scratch = try TemporaryDirectory("prewarm-background")
        errorPath = try scratch.write("stderr", "")
        errorOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardOutput = output
        process.standardError = errorOutput
        process.standardInput = FileHandle.nullDevice
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            guard !data.isEmpty else {
                // The end of the output: the program (and anything it started) closed its end.
                handle.readabilityHandler = nil
                self.lock.lock()
                self.reachedEnd = true
                self.lock.unlock()
                return
            }
            self.lock.lock()
            self.buffer.append(data)
            while let newline = self.buffer.firstIndex(of: UInt8(ascii: "\n")) {
                self.collected.append(String(decoding: self.buffer[..<newline], as: UTF8.self))
                self.buffer.removeSubrange(...newline)
            }
            self.lock.unlock()
        }
        try process.run()
    }

    deinit {
        try? errorOutput.close()
        scratch.remove()
    }

    /// What the program wrote to its standard error so far.
    public var stderr: String {
        (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
    }

    /// The lines printed so far.
    public var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    public var isRunning: Bool { process.isRunning }

    private var outputEnded: Bool {
        lock.lock()
        defer { lock.unlock() }
        return reachedEnd
    }

    /// The program's process ID.
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Waits until `condition` holds for the lines printed so far, or the program ends, or
    /// `timeout` passes; returns whether the condition held.
    public func wait(timeout: Duration = .seconds(120), until condition: ([String]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        var ended: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            if condition(lines) { return true }
            // Once the program ended, its last lines may still be in the pipe: read to the end
            // (for at most 2 s, in case something it started holds the pipe open).
            if !process.isRunning {
                let now = ContinuousClock.now
                let since = ended ?? now
                ended = since
                if outputEnded || now - since > .seconds(2) { return condition(lines) }
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Sends SIGKILL to this program (and only to it) and waits for it to end.
    public func kill() async {
        _ = await signal(SIGKILL)
    }

    /// Sends `signal` to this program (and only to it), waits for it to end, and returns its
    /// exit status (for a program killed by a signal: 128 + the signal, as a shell reports it).
    public func signal(_ signal: Int32) async -> Int32 {
        Foundation.kill(process.processIdentifier, signal)
        return await exitStatus()
    }

    /// Waits for the program to end and returns its exit status (128 + the signal when a
    /// signal ended it).
    public func exitStatus() async -> Int32 {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(5)) }
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }
}
