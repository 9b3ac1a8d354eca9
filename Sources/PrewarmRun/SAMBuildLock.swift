import Foundation
import PrewarmSupport

/// SAM CLI's own build lock for an image name (`samcli/local/common/file_lock.py`, used by
/// `lambda_image.py`): `<temporary directory>/<name, made safe>.building.lock`, holding the process ID
/// and the time, and beside it `….building.status` (`in_progress`, `completed` or `failed`).
///
/// A `sam local` started while prewarm holds it waits (polling every 2 s, for up to 300 s) instead of
/// building the same name, then finds `completed` and uses the image. SAM's lock is not an `flock`: it
/// is the file's existence, and a file older than 300 s counts as stale; prewarm also counts as stale a
/// lock whose process is gone (a killed prewarm or `sam local` leaves its file behind), so that a
/// resumed build does not wait out those 300 s.
package struct SAMBuildLock: Sendable {
    /// The lock file.
    package let lockPath: String
    /// The status file beside it.
    package let statusPath: String

    /// The lock SAM CLI uses for building `name`, under `temporaryDirectory` (Python's
    /// `tempfile.gettempdir()`: `$TMPDIR`, else `/tmp`).
    package init(name: String, temporaryDirectory: String = SAMBuildLock.temporaryDirectory()) {
        let safe = String(
            name.replacingOccurrences(of: ":", with: "_").replacingOccurrences(of: "/", with: "_").map { character in
                character.isASCII && (character.isLetter || character.isNumber || "-_.".contains(character))
                    ? character : "_"
            })
        lockPath = "\(temporaryDirectory)/\(safe).building.lock"
        statusPath = "\(temporaryDirectory)/\(safe).building.status"
    }

    /// Python's `tempfile.gettempdir()` on Linux: the first of `TMPDIR`, `TEMP`, `TMP` that is set, else `/tmp`.
    package static func temporaryDirectory(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        for key in ["TMPDIR", "TEMP", "TMP"] {
            if let value = environment[key], !value.isEmpty {
                return value.hasSuffix("/") ? String(value.dropLast()) : value
            }
        }
        return "/tmp"
    }

    /// Runs `body` holding the lock: waits while a fresh lock of another holder (a `sam local` building the
    /// name) exists, takes it, and releases it with `completed` or `failed` as `body` returns or throws.
    /// A lock that cannot be written does not stop the build: SAM then only builds the name itself too.
    package func holding<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let staleAfter: TimeInterval = 300
        while let attributes = try? FileManager.default.attributesOfItem(atPath: lockPath),
            let modified = attributes[.modificationDate] as? Date, Date().timeIntervalSince(modified) < staleAfter,
            holderIsAlive()
        {
            try await Task.sleep(for: .milliseconds(500))
        }
        let pid = ProcessInfo.processInfo.processIdentifier
        let taken = FileManager.default.createFile(
            atPath: lockPath, contents: Data("\(pid)\n\(Date().timeIntervalSince1970)".utf8))
        if taken { setStatus("in_progress") }
        do {
            let result = try await body()
            if taken { release("completed") }
            return result
        } catch {
            if taken { release("failed") }
            throw error
        }
    }

    /// Whether the process whose ID the lock file holds (its first line) still runs; `true` when the
    /// file says no process ID, as SAM CLI's own lock may not.
    package func holderIsAlive() -> Bool {
        guard let text = try? String(contentsOfFile: lockPath, encoding: .utf8),
            let pid = text.split(whereSeparator: \.isNewline).first.flatMap({
                Int32($0.trimmingCharacters(in: .whitespaces))
            }),
            pid > 0
        else { return true }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    private func setStatus(_ status: String) {
        _ = FileManager.default.createFile(
            atPath: statusPath, contents: Data("\(status)\n\(Date().timeIntervalSince1970)".utf8))
    }

    private func release(_ status: String) {
        setStatus(status)
        unlink(lockPath)
    }
}
