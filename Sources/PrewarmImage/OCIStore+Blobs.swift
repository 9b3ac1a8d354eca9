import Crypto
import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

// Blobs: content-addressed files under `blobs/sha256`, written through the store object's write area under `.tmp/`
// and renamed only when whole and verified.
extension OCIStore {
    /// Whether the store has blob `digest` (by name; `isIntact` and `verify()` check content).
    public func hasBlob(_ digest: String) -> Bool {
        guard let file = try? blobPath(digest) else { return false }
        return access(file, F_OK) == 0
    }

    /// The size of blob `digest`, or `nil` when the store does not have it.
    public func blobSize(_ digest: String) -> Int64? {
        guard let file = try? blobPath(digest) else { return nil }
        var status = stat()
        guard stat(file, &status) == 0 else { return nil }
        return Int64(status.st_size)
    }

    /// The bytes of blob `digest`, verified against it (meant for manifests and configurations;
    /// layers are read from `blobPath`).
    ///
    /// - Returns: `nil` when the store does not have it.
    /// - Throws: `ImageError` with code `.corrupt` when its content does not match its
    ///   digest; the damaged file is removed then (nothing can use it), so that a build or an
    ///   import writes it again.
    public func readBlob(_ digest: String) throws -> Data? {
        let file = try blobPath(digest)
        let before = Self.fileKey(file)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        guard ContentDigest.data(data) == digest else {
            // Only the file that was read: not one a writer renamed into place meanwhile.
            let removed = before != nil && Self.fileKey(file) == before && unlink(file) == 0
            throw ImageError(
                .corrupt,
                "blob \(file) does not match its digest; the OCI store is damaged"
                    + (removed ? " (the blob was removed: build or import the image again)" : ": remove the blob"))
        }
        return data
    }

    /// Stores `data` as a blob (unless the store has it already).
    ///
    /// - Parameter expected: the digest `data` must have, when the caller knows it.
    /// - Returns: its digest and size.
    /// - Throws: `ImageError` with code `.digestMismatch` when `data` does not match `expected`.
    @discardableResult
    public func writeBlob(_ data: Data, expected: String? = nil) throws -> (digest: String, size: Int64) {
        let digest = ContentDigest.data(data)
        if let expected, expected != digest {
            throw ImageError(.digestMismatch, "content should have digest \(expected) but has \(digest)")
        }
        // A blob held already is kept only when it is intact (it is small: compare it whole).
        if blobSize(digest) == Int64(data.count), FileManager.default.contents(atPath: try blobPath(digest)) == data {
            return (digest, Int64(data.count))
        }
        return try withSharedLock {
            try ingest(expected: digest) { try $0.append(data) }
        }
    }

    /// Stores the file at `source` as a blob, reading it in blocks and hashing what it writes.
    ///
    /// - Throws: `ImageError` with code `.digestMismatch` when its content does not match
    ///   `expected`, `.io` when it cannot be read.
    @discardableResult
    public func writeBlob(fromFile source: String, expected: String? = nil) throws -> (digest: String, size: Int64) {
        if let expected, let sourceSize = Self.fileSize(source), isIntact(expected, size: sourceSize) {
            return (expected, sourceSize)
        }
        return try writeBlob(expected: expected) { append in
            guard let handle = FileHandle(forReadingAtPath: source) else {
                throw ImageError(.io, "cannot read \(source)")
            }
            defer { try? handle.close() }
            do {
                while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty { try append(block) }
            } catch let error as ImageError {
                throw error
            } catch {
                throw ImageError(.io, "cannot read \(source)", cause: error)
            }
        }
    }

    /// Stores a blob whose bytes `produce` hands, in order, to the function it is given (a
    /// download streams into it). Nothing reaches `blobs/` unless the whole content arrived and
    /// matches `expected`.
    ///
    /// - Throws: `ImageError` with code `.digestMismatch` on a digest mismatch; whatever `produce`
    ///   throws (the partial content is removed).
    @discardableResult
    public func writeBlob(expected: String?, _ produce: (_ append: (Data) throws -> Void) throws -> Void) throws -> (
        digest: String, size: Int64
    ) {
        try withSharedLock {
            try ingest(expected: expected) { ingest in try produce { try ingest.append($0) } }
        }
    }

    /// Writes a blob through a ``BlobIngest``: `write` appends its content, then the blob is committed
    /// (verified against `expected`, synced, renamed into `blobs/sha256`). Whatever way it fails, the
    /// temporary file is removed.
    ///
    /// - Throws: `ImageError` with code `.digestMismatch` on a digest mismatch; whatever `write` throws.
    func ingest(expected: String?, _ write: (BlobIngest) throws -> Void) throws -> (digest: String, size: Int64) {
        let ingest = try BlobIngest(store: self)
        do {
            try write(ingest)
            return try ingest.commit(expected: expected)
        } catch {
            ingest.discard()
            throw error
        }
    }

    static func fileSize(_ file: String) -> Int64? {
        var status = stat()
        guard stat(file, &status) == 0 else { return nil }
        return Int64(status.st_size)
    }

    func countWritten(_ count: Int, toBlob: Bool = false) {
        state.withLock {
            $0.bytesWritten += Int64(count)
            if toBlob { $0.blobBytesWritten += Int64(count) }
        }
    }

    /// Writes `data` to `file` through a temporary file in the store, fsynced, then renamed.
    func writeAtomically(_ data: Data, to file: String) throws {
        try AtomicFile.write(data, to: file, temporaryDirectory: try writeArea())
        countWritten(data.count)
    }
}

/// A blob being written: a temporary file in the store, hashed as it is written. Made only by
/// `OCIStore.ingest(expected:_:)`, which commits it or discards it: it does nothing when it goes away.
final class BlobIngest {
    private let store: OCIStore
    let temporary: String
    private var descriptor: Int32
    private var hasher = SHA256()
    private(set) var size: Int64 = 0

    init(store: OCIStore) throws {
        self.store = store
        temporary = try store.temporaryFilePath()
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ImageError(.io, "cannot create \(temporary): \(systemErrorMessage())")
        }
    }

    func append(_ data: Data) throws {
        hasher.update(data: data)
        try AtomicFile.writeAll(descriptor, data, path: temporary)
        size += Int64(data.count)
        store.countWritten(data.count, toBlob: true)
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
    /// - Throws: `ImageError` with code `.digestMismatch` when the content is not `expected`.
    func commit(expected: String?) throws -> (digest: String, size: Int64) {
        let digest = "sha256:" + Hex.string(hasher.finalize())
        if let expected, expected != digest {
            discard()
            throw ImageError(.digestMismatch, "content should have digest \(expected) but has \(digest); not stored")
        }
        guard fsync(descriptor) == 0 else {
            let reason = systemErrorMessage()
            discard()
            throw ImageError(.io, "cannot sync \(temporary): \(reason)")
        }
        close(descriptor)
        descriptor = -1
        let target = try store.blobPath(digest)
        guard rename(temporary, target) == 0 else {
            let reason = systemErrorMessage()
            unlink(temporary)
            throw ImageError(.io, "cannot rename \(temporary) to \(target): \(reason)")
        }
        store.recordVerified(String(digest.dropFirst("sha256:".count)), file: target)
        // The rename is made durable by the next `updateNames`, which syncs the blob directory
        // before `index.json` can name the blob: one directory sync per image, not per blob.
        return (digest, size)
    }
}
