import Foundation

/// A directory under the system's temporary directory, removed by `remove()`.
///
/// Each test makes its own, writes its templates into it, and removes it when done.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "prewarm-test") throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    /// Writes `contents` to `name` (which may contain subdirectories) and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        let url = URL(fileURLWithPath: path).appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: url)
        return url.path
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// For programs a test runs that write under `TMPDIR` (prewarm's scratch directories, and SAM CLI's build
    /// locks `<name>.building.lock` and `.status`, which stay after the build): `tmp` in this directory, made,
    /// and the test process's environment with `TMPDIR` set to it, so that what they leave goes with the test.
    public func ownTMPDIR() throws -> (path: String, environment: [String: String]) {
        let temporary = path + "/tmp"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = temporary
        return (temporary, environment)
    }
}

/// Paths of the repository's test fixtures.
public enum Fixtures {
    /// `Tests/Fixtures` of this checkout.
    public static let directory: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").path
    }()

    public static func path(_ name: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(name).path
    }
}
