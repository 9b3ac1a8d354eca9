import Crypto
import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

// Blobs: the content store. Content-addressed files under `blobs/sha256/<hex>`, ingested through the
// store object's write area under `.tmp/` and renamed into place only when whole and verified.
//
// Invariants:
// - a file under `blobs/sha256` has the content its name says, even after a kill -9 or a power loss: a
//   blob is written to a temporary file while it is hashed, verified against the digest expected, fsynced,
//   and only then renamed to its name; what fails on the way is removed, and nothing reaches `blobs/`;
// - the renames are made durable by a sync of the blob directory before `index.json` (the names) can name
//   the blobs (`syncDirectory()`, which the names call);
// - writers hold the shared writer lock (`.prewarm-gc.lock`) while they write, and a collection the
//   exclusive one, so a blob written but not yet named is never collected under its writer;
// - every blob the store writes or moves in gets a verified-at record (``Integrity``).
extension OCIStore {
    /// The blobs of a store: reading, checking and writing them.
    final class Blobs: Sendable {
        let layout: Layout
        let integrity: Integrity
        let writeArea: WriteArea

        init(layout: Layout, integrity: Integrity, writeArea: WriteArea) {
            self.layout = layout
            self.integrity = integrity
            self.writeArea = writeArea
        }

        /// Runs `body` holding the shared writer lock, during which a collection waits.
        func withWriterLock<T>(_ body: () throws -> T) throws -> T {
            try FileLock.with(path: layout.gcLockPath, exclusive: false, body)
        }

        /// Runs `body` holding the exclusive lock, which waits for every writer and keeps them out.
        func withCollectorLock<T>(_ body: () throws -> T) throws -> T {
            try FileLock.with(path: layout.gcLockPath, exclusive: true, body)
        }

        /// Makes the renames of blobs durable (before names can name them).
        func syncDirectory() {
            AtomicFile.syncDirectory(layout.blobDirectory)
        }

        /// Whether the store has blob `digest` (by name; `integrity` checks content).
        func has(_ digest: String) -> Bool {
            guard let file = try? layout.blobPath(digest) else { return false }
            return access(file, F_OK) == 0
        }

        /// The size of blob `digest`, or `nil` when the store does not have it.
        func size(_ digest: String) -> Int64? {
            guard let file = try? layout.blobPath(digest) else { return nil }
            return Layout.fileSize(file)
        }

        /// The bytes of blob `digest`, verified against it.
        ///
        /// - Returns: `nil` when the store does not have it.
        /// - Throws: `EngineError` with code `.corrupt` when its content does not match its digest (the
        ///   damaged file is removed then, unless a writer renamed another into place meanwhile).
        func read(_ digest: String) throws -> Data? {
            let file = try layout.blobPath(digest)
            let before = FileKey.of(file)
            guard let data = FileManager.default.contents(atPath: file) else { return nil }
            guard ContentDigest.data(data) == digest else {
                // Only the file that was read: not one a writer renamed into place meanwhile.
                let removed = before != nil && FileKey.of(file) == before && unlink(file) == 0
                throw EngineError(
                    .corrupt,
                    "blob \(file) does not match its digest; the OCI store is damaged"
                        + (removed ? " (the blob was removed: build or import the image again)" : ": remove the blob"))
            }
            return data
        }

        /// Stores `data` as a blob, unless the store holds it intact already (compared whole: it is small).
        ///
        /// - Throws: `EngineError` with code `.digestMismatch` when `data` does not match `expected`.
        func write(_ data: Data, expected: String?) throws -> (digest: String, size: Int64) {
            let digest = ContentDigest.data(data)
            if let expected, expected != digest {
                throw EngineError(.digestMismatch, "content should have digest \(expected) but has \(digest)")
            }
            if size(digest) == Int64(data.count),
                FileManager.default.contents(atPath: try layout.blobPath(digest)) == data
            {
                return (digest, Int64(data.count))
            }
            return try withWriterLock {
                try ingest(expected: digest) { try $0.append(data) }
            }
        }

        /// Stores the blob whose bytes `produce` hands, in order, to the function it is given, holding the
        /// writer lock.
        ///
        /// - Throws: `EngineError` with code `.digestMismatch` on a digest mismatch; whatever `produce` throws.
        func write(expected: String?, _ produce: (_ append: (Data) throws -> Void) throws -> Void) throws -> (
            digest: String, size: Int64
        ) {
            try withWriterLock {
                try ingest(expected: expected) { ingest in try produce { try ingest.append($0) } }
            }
        }

        /// Writes a blob through a ``BlobIngest``: `write` appends its content, then the blob is committed
        /// (verified against `expected`, synced, renamed into `blobs/sha256`). Whatever way it fails, the
        /// temporary file is removed. The caller holds the writer lock.
        ///
        /// - Throws: `EngineError` with code `.digestMismatch` on a digest mismatch; whatever `write` throws.
        func ingest(expected: String?, _ write: (BlobIngest) throws -> Void) throws -> (digest: String, size: Int64) {
            let ingest = try BlobIngest(blobs: self)
            do {
                try write(ingest)
                return try ingest.commit(expected: expected)
            } catch {
                ingest.discard()
                throw error
            }
        }

        /// Moves the verified download at `temporaryPath` (in the write area) in as blob `digest`, synced
        /// first; removes it instead when the store holds the blob intact already.
        ///
        /// - Throws: `EngineError` with code `.io` when it cannot be renamed.
        func moveIn(downloaded temporaryPath: String, digest: String) throws {
            let target = try layout.blobPath(digest)
            if integrity.isIntact(digest) {
                try? FileManager.default.removeItem(atPath: temporaryPath)
                return
            }
            let size = Layout.fileSize(temporaryPath) ?? 0
            let descriptor = open(temporaryPath, O_RDONLY)
            if descriptor >= 0 {
                fsync(descriptor)
                closeDescriptor(descriptor)
            }
            guard rename(temporaryPath, target) == 0 else {
                let reason = systemErrorMessage()
                try? FileManager.default.removeItem(atPath: temporaryPath)
                throw EngineError(.io, "cannot move a downloaded blob to \(target): \(reason)")
            }
            integrity.record(String(digest.dropFirst("sha256:".count)), file: target)
            writeArea.count(Int(size), toBlob: true)
        }
    }
}

/// A blob being written: a temporary file in the write area, hashed as it is written. Made only by
/// `OCIStore.Blobs.ingest(expected:_:)`, which commits it or discards it: it does nothing when it goes away.
final class BlobIngest {
    private let blobs: OCIStore.Blobs
    let temporary: String
    private var descriptor: Int32
    private var hasher = SHA256()
    private(set) var size: Int64 = 0

    init(blobs: OCIStore.Blobs) throws {
        self.blobs = blobs
        temporary = try blobs.writeArea.temporaryFilePath()
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw EngineError(.io, "cannot create \(temporary): \(systemErrorMessage())")
        }
    }

    func append(_ data: Data) throws {
        hasher.update(data: data)
        try AtomicFile.writeAll(descriptor, data, path: temporary)
        size += Int64(data.count)
        blobs.writeArea.count(data.count, toBlob: true)
    }

    /// Removes the temporary file.
    func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
            unlink(temporary)
        }
    }

    /// Verifies, syncs and renames the temporary file to its blob's name.
    ///
    /// - Throws: `EngineError` with code `.digestMismatch` when the content is not `expected`.
    func commit(expected: String?) throws -> (digest: String, size: Int64) {
        let digest = "sha256:" + Hex.string(hasher.finalize())
        if let expected, expected != digest {
            discard()
            throw EngineError(.digestMismatch, "content should have digest \(expected) but has \(digest); not stored")
        }
        guard fsync(descriptor) == 0 else {
            let reason = systemErrorMessage()
            discard()
            throw EngineError(.io, "cannot sync \(temporary): \(reason)")
        }
        close(descriptor)
        descriptor = -1
        let target = try blobs.layout.blobPath(digest)
        guard rename(temporary, target) == 0 else {
            let reason = systemErrorMessage()
            unlink(temporary)
            throw EngineError(.io, "cannot rename \(temporary) to \(target): \(reason)")
        }
        blobs.integrity.record(String(digest.dropFirst("sha256:".count)), file: target)
        // The rename is made durable by the next name change, which syncs the blob directory
        // before `index.json` can name the blob: one directory sync per image, not per blob.
        return (digest, size)
    }
}
