import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

// Integrity: a blob is trusted by what it hashes to, not by its file name. Each blob the store
// hashed (when it wrote it, or read it back) gets a verified-at record in
// `.prewarm-verified.log`: its inode, size, modification and change time then. While `stat`
// still says the same, the blob is the one hashed; when anything differs (a flipped byte, a
// truncation, a copy over it all change the change time, which no one can set back), it is
// hashed again before anything trusts it.
//
// Invariants:
// - a blob is reported intact only when its content hashed to its name while `stat` said what it says now;
// - a record is written only for the file that was hashed (not one another process renamed into place
//   meanwhile); a lost record only costs a hash later, so records are appended without a sync;
// - the records are a cache: rewriting them (`replace`, after `verify` hashed every blob) or losing the log
//   changes no answer, only how much is hashed.
extension OCIStore {
    /// The verified-at records of a store's blobs, and the check that uses them.
    final class Integrity: Sendable {
        let layout: Layout
        private let writeArea: WriteArea
        private let state = Locked(Records())

        private struct Records {
            /// Blobs found intact, and damaged, with what `stat` said of them then.
            var verified: [String: FileKey] = [:]
            var damaged: [String: FileKey] = [:]
            /// How far this object read `.prewarm-verified.log`.
            var logInode: UInt64?
            var logOffset: UInt64 = 0
        }

        init(layout: Layout, writeArea: WriteArea) {
            self.layout = layout
            self.writeArea = writeArea
        }

        /// Whether blob `digest` is in the store with the content its name says (and, when given,
        /// `size` bytes): read and hashed only when it changed since it was last verified.
        ///
        /// Another process may rename its own copy of the blob into place at any time (two builds writing
        /// one shared layer at once): a file replaced while it was hashed is not damage, so the file now
        /// there is looked at again, and content that hashed to its name is intact whichever copy it was.
        ///
        /// - Returns: `false` when it is missing, of another size, or damaged.
        func isIntact(_ digest: String, size: Int64? = nil) -> Bool {
            guard let file = try? layout.blobPath(digest) else { return false }
            let hex = String(digest.dropFirst("sha256:".count))
            for _ in 0..<Self.replacedBlobLooks {
                guard let key = FileKey.of(file) else { return false }
                if let size, key.size != UInt64(size) { return false }
                switch verifiedState(hex, key) {
                case .intact: return true
                case .damaged: return false
                case .unknown: break
                }
                let actual = try? ContentDigest.file(file)
                let replaced = FileKey.of(file) != key
                if actual == digest {
                    // The key recorded must be that of the file hashed: not known when it was replaced.
                    if !replaced { record(hex, key) }
                    return true
                }
                if replaced { continue }
                state.withLock { $0.damaged[hex] = key }
                return false
            }
            return false
        }

        /// How many times ``isIntact(_:size:)`` looks at a blob that other writers keep replacing.
        private static let replacedBlobLooks = 8

        private enum VerifiedState { case intact, damaged, unknown }

        private func verifiedState(_ hex: String, _ key: FileKey) -> VerifiedState {
            let known = state.withLock { state -> VerifiedState in
                if state.verified[hex] == key { return .intact }
                if state.damaged[hex] == key { return .damaged }
                return .unknown
            }
            guard known == .unknown else { return known }
            // Another process may have verified it since this one last read the records.
            readRecords()
            return state.withLock { $0.verified[hex] == key ? .intact : .unknown }
        }

        /// Records that blob `hex` hashed to its name while `stat` said what it says now of `file` (the file
        /// just renamed into place after it was hashed).
        func record(_ hex: String, file: String) {
            if let key = FileKey.of(file) { record(hex, key) }
        }

        private func record(_ hex: String, _ key: FileKey) {
            state.withLock {
                $0.verified[hex] = key
                $0.damaged[hex] = nil
            }
            let line = Data("\(hex) \(key.inode) \(key.size) \(key.modified) \(key.changed)\n".utf8)
            let descriptor = open(layout.verifiedLogPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { return }
            defer { closeDescriptor(descriptor) }
            // Not counted in `bytesWritten`: a record is a cache of a hash, not content.
            _ = try? AtomicFile.writeAll(descriptor, line, path: layout.verifiedLogPath)
        }

        /// Reads the records other processes appended since this one last read them.
        private func readRecords() {
            let path = layout.verifiedLogPath
            guard let key = FileKey.of(path) else { return }
            let (inode, offset) = state.withLock { ($0.logInode, $0.logOffset) }
            let start: UInt64 = inode == key.inode && offset <= key.size ? offset : 0
            guard start < key.size, let handle = FileHandle(forReadingAtPath: path) else { return }
            defer { try? handle.close() }
            guard (try? handle.seek(toOffset: start)) != nil, let data = try? handle.readToEnd(),
                let end = data.lastIndex(of: UInt8(ascii: "\n"))
            else { return }
            var records: [(String, FileKey)] = []
            for line in data[data.startIndex...end].split(separator: UInt8(ascii: "\n")) {
                let fields = line.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
                guard fields.count == 5, fields[0].utf8.count == 64, let inode = UInt64(fields[1]),
                    let size = UInt64(fields[2]), let modified = Int64(fields[3]), let changed = Int64(fields[4])
                else { continue }
                records.append((fields[0], FileKey(inode: inode, size: size, modified: modified, changed: changed)))
            }
            state.withLock { state in
                for (hex, key) in records { state.verified[hex] = key }
                state.logInode = key.inode
                state.logOffset = start + UInt64(end - data.startIndex + 1)
            }
        }

        /// Rewrites the records to hold exactly `records` (after `verify` hashed every blob).
        func replace(with records: [String: FileKey]) throws {
            var text = ""
            for (hex, key) in records.sorted(by: { $0.key < $1.key }) {
                text += "\(hex) \(key.inode) \(key.size) \(key.modified) \(key.changed)\n"
            }
            try writeArea.writeAtomically(Data(text.utf8), to: layout.verifiedLogPath)
            let key = FileKey.of(layout.verifiedLogPath)
            state.withLock {
                $0.verified = records
                $0.damaged = [:]
                $0.logInode = key?.inode
                $0.logOffset = key?.size ?? 0
            }
        }
    }
}
