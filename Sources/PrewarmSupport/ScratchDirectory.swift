import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A directory for one process's scratch files (build contexts, layer archives, exports), under the
/// system's temporary directory (`$TMPDIR`, else `/tmp`): `prewarm-<UUID>`.
///
/// Its process holds an exclusive `flock` on `<directory>/.owner` for as long as it lives, and the
/// kernel drops that lock when the process ends, however it ends. A process killed with SIGKILL cannot
/// remove its own directory, which may hold hundreds of megabytes of layers; so the first
/// `ScratchDirectory` a process makes under a directory removes every one there whose owner is gone (the
/// OCI store makes its write areas so too, under its `.tmp/`). The directory is made as
/// `prewarm-<UUID>.new` and renamed once its lock is held, so that no other process sees it unlocked.
public final class ScratchDirectory: Sendable {
    /// The directory.
    public let path: String
    private let owner: FileLock.Held

    /// The name every scratch directory starts with.
    static let prefix = "prewarm-"
    /// The parents this process has removed abandoned directories from.
    private static let swept = Locked(Set<String>())

    /// Makes a new scratch directory under `parent`, after removing the abandoned ones there (the
    /// first time in this process for that parent).
    ///
    /// - Throws: `FileError` with code `.io` when the directory cannot be made or locked.
    public init(in parent: String = FileManager.default.temporaryDirectory.path) throws {
        let sweep = Self.swept.withLock { $0.insert(parent).inserted }
        if sweep { Self.removeAbandoned(in: parent) }

        let final = parent + "/" + Self.prefix + UUID().uuidString
        let making = final + ".new"
        guard mkdir(making, 0o700) == 0 else {
            throw FileError(
                .io,
                "cannot create the scratch directory \(making): \(systemErrorMessage()); set TMPDIR to a "
                    + "directory you can write")
        }
        let held: FileLock.Held
        do {
            guard let lock = try FileLock.tryAcquire(path: making + "/.owner", create: true) else {
                throw FileError(.io, "cannot lock \(making)/.owner: another process holds it")
            }
            held = lock
        } catch {
            FileTree.remove(making)
            throw error
        }
        guard rename(making, final) == 0 else {
            let reason = systemErrorMessage()
            held.release()
            FileTree.remove(making)
            throw FileError(.io, "cannot create the scratch directory \(final): \(reason)")
        }
        path = final
        owner = held
    }

    /// Removes the directory and everything in it, and lets go of its lock.
    public func remove() {
        FileTree.remove(path)
        owner.release()
    }

    /// Whether the scratch directory at `directory` is in use: its `.owner` is locked by a live process.
    /// `false` for one whose process is gone, one without an `.owner`, and anything else.
    public static func isInUse(_ directory: String) -> Bool {
        guard FileTree.isDirectory(directory), access(directory + "/.owner", F_OK) == 0 else { return false }
        guard let lock = try? FileLock.tryAcquire(path: directory + "/.owner", create: false) else {
            return access(directory + "/.owner", F_OK) == 0
        }
        lock.release()
        return false
    }

    /// Whether `name` is that of a scratch directory: `prewarm-<UUID>`, nothing more.
    public static func isScratchName(_ name: String) -> Bool {
        name.hasPrefix(prefix) && UUID(uuidString: String(name.dropFirst(prefix.count))) != nil
    }

    /// Removes the scratch directories under `parent` whose process is gone (no lock on their
    /// `.owner`), and returns their paths. One that is still being made (`.new`), one without an
    /// `.owner`, and anything that is not a directory are left alone.
    @discardableResult
    public static func removeAbandoned(in parent: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return [] }
        var removed: [String] = []
        for name in names where isScratchName(name) {
            let directory = parent + "/" + name
            guard FileTree.isDirectory(directory),
                let lock = try? FileLock.tryAcquire(path: directory + "/.owner", create: false)
            else { continue }
            FileTree.remove(directory)
            lock.release()
            removed.append(directory)
        }
        return removed
    }
}
