import Foundation
import Testing

/// Zips written at test time by `Tests/Fixtures/zips/make.py`.
public enum LayerZips {
    /// Writes the zips `names` into `directory` and returns the directory.
    public static func make(_ names: [String], in directory: String) async throws -> String {
        let python = try #require(CommandRunner.which("python3"), "python3 writes the test zips")
        let result = try await CommandRunner.run(python, [Fixtures.path("zips/make.py"), directory] + names)
        try #require(result.status == 0, "make.py failed: \(result.stderr)")
        return directory
    }
}

/// Every path under `root`, relative to it, sorted, with `/` after directories.
public func tree(_ root: String) -> [String] {
    var result: [String] = []
    let manager = FileManager.default
    guard let enumerator = manager.enumerator(atPath: root) else { return [] }
    while let relative = enumerator.nextObject() as? String {
        var isDirectory: ObjCBool = false
        var status = stat()
        let isLink = lstat(root + "/" + relative, &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
        _ = manager.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
        result.append(relative + (isDirectory.boolValue && !isLink ? "/" : ""))
    }
    return result.sorted()
}

/// The permission bits of `path` (not following a link).
public func mode(_ path: String) -> UInt32 {
    var status = stat()
    lstat(path, &status)
    return UInt32(status.st_mode) & 0o7777
}
