import Foundation
import PrewarmSupport

// The layout: where each file of a store is. A value, shared by the store's parts; it makes and reads
// nothing. `oci-layout`, `index.json` and `blobs/sha256/<hex>` are the OCI image layout; the files that
// start with `.prewarm-` and the `.tmp/` directory are prewarm's own, ignored by other tools.
extension OCIStore {
    /// The paths of a store's files, under its directory `root`.
    struct Layout: Sendable {
        /// The store's directory (standardized).
        let root: String

        var blobDirectory: String { root + "/blobs/sha256" }
        var layoutPath: String { root + "/oci-layout" }
        /// Where write areas are made (on the file system of `blobs/`, so that a rename moves a blob in).
        var temporaryDirectory: String { root + "/.tmp" }
        var indexPath: String { root + "/index.json" }
        var indexBackupPath: String { root + "/" + Self.backupName }
        var namesLogPath: String { root + "/.prewarm-names.log" }
        var verifiedLogPath: String { root + "/.prewarm-verified.log" }
        var indexLockPath: String { root + "/.prewarm-index.lock" }
        var gcLockPath: String { root + "/.prewarm-gc.lock" }

        /// The name of the copy of `index.json`.
        static let backupName = ".prewarm-index.backup.json"

        /// The file of blob `digest`, whether or not it exists.
        ///
        /// - Throws: `EngineError` with code `.invalidDigest` when `digest` is not `sha256:` and 64
        ///   lowercase hex digits.
        func blobPath(_ digest: String) throws -> String {
            guard Self.isValidDigest(digest) else {
                throw EngineError(.invalidDigest, "'\(digest)' is not a sha256 digest (sha256: and 64 hex digits)")
            }
            return blobDirectory + "/" + digest.dropFirst("sha256:".count)
        }

        /// Whether `digest` is `sha256:` and 64 lowercase hex digits: a blob's name.
        static func isValidDigest(_ digest: String) -> Bool {
            guard digest.hasPrefix("sha256:") else { return false }
            let hex = digest.utf8.dropFirst("sha256:".count)
            return hex.count == 64
                && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        }

        /// The names in `directory`; none when it does not exist.
        static func listIfPresent(_ directory: String) throws -> [String] {
            FileTree.isDirectory(directory) ? try list(directory) : []
        }

        /// The names in `directory`.
        ///
        /// - Throws: `EngineError` with code `.io` when it cannot be listed.
        static func list(_ directory: String) throws -> [String] {
            do {
                return try FileManager.default.contentsOfDirectory(atPath: directory)
            } catch {
                throw EngineError(.io, "cannot list \(directory)", cause: error)
            }
        }

        /// The size of the file `file`, or `nil` when there is none.
        static func fileSize(_ file: String) -> Int64? {
            var status = stat()
            guard stat(file, &status) == 0 else { return nil }
            return Int64(status.st_size)
        }
    }
}

/// What `stat` says of a file: enough to tell that it changed (a write changes the change time,
/// which no one can set back).
struct FileKey: Hashable, Sendable {
    var inode: UInt64
    var size: UInt64
    var modified: Int64
    var changed: Int64

    /// Inode, size and modification time of `file`, or `nil` when there is none: files the store
    /// replaces by rename, so the key changes whenever the content may have.
    static func of(_ file: String) -> FileKey? {
        var status = stat()
        guard stat(file, &status) == 0 else { return nil }
        return FileKey(
            inode: UInt64(status.st_ino), size: UInt64(status.st_size),
            modified: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec),
            changed: Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec))
    }
}
