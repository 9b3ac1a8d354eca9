import Foundation
import PrewarmOCI
import PrewarmSupport

// The store's blobs, as its users see them: the content store (``OCIStore/Blobs``) and its integrity
// records (``OCIStore/Integrity``) behind one surface.
extension OCIStore {
    /// The file of blob `digest`, whether or not it exists.
    ///
    /// - Throws: `EngineError` with code `.invalidDigest` when `digest` is not `sha256:` and 64
    ///   lowercase hex digits.
    public func blobPath(_ digest: String) throws -> String {
        try layout.blobPath(digest)
    }

    /// Whether the store has blob `digest` (by name; `isIntact` and `verify()` check content).
    public func hasBlob(_ digest: String) -> Bool {
        blobs.has(digest)
    }

    /// The size of blob `digest`, or `nil` when the store does not have it.
    public func blobSize(_ digest: String) -> Int64? {
        blobs.size(digest)
    }

    /// Whether blob `digest` is in the store with the content its name says (and, when given,
    /// `size` bytes): read and hashed only when it changed since it was last verified.
    ///
    /// - Returns: `false` when it is missing, of another size, or damaged.
    public func isIntact(_ digest: String, size: Int64? = nil) -> Bool {
        integrity.isIntact(digest, size: size)
    }

    /// The bytes of blob `digest`, verified against it (meant for manifests and configurations;
    /// layers are read from `blobPath`).
    ///
    /// - Returns: `nil` when the store does not have it.
    /// - Throws: `EngineError` with code `.corrupt` when its content does not match its
    ///   digest; the damaged file is removed then (nothing can use it), so that a build or an
    ///   import writes it again.
    public func readBlob(_ digest: String) throws -> Data? {
        try blobs.read(digest)
    }

    /// Stores `data` as a blob (unless the store has it already).
    ///
    /// - Parameter expected: the digest `data` must have, when the caller knows it.
    /// - Returns: its digest and size.
    /// - Throws: `EngineError` with code `.digestMismatch` when `data` does not match `expected`.
    @discardableResult
    public func writeBlob(_ data: Data, expected: String? = nil) throws -> (digest: String, size: Int64) {
        try blobs.write(data, expected: expected)
    }

    /// Stores the file at `source` as a blob, reading it in blocks and hashing what it writes.
    ///
    /// - Throws: `EngineError` with code `.digestMismatch` when its content does not match
    ///   `expected`, `.io` when it cannot be read.
    @discardableResult
    public func writeBlob(fromFile source: String, expected: String? = nil) throws -> (digest: String, size: Int64) {
        if let expected, let sourceSize = Layout.fileSize(source), isIntact(expected, size: sourceSize) {
            return (expected, sourceSize)
        }
        return try writeBlob(expected: expected) { append in
            guard let handle = FileHandle(forReadingAtPath: source) else {
                throw EngineError(.io, "cannot read \(source)")
            }
            defer { try? handle.close() }
            do {
                while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty { try append(block) }
            } catch let error as EngineError {
                throw error
            } catch {
                throw EngineError(.io, "cannot read \(source)", cause: error)
            }
        }
    }

    /// Stores a blob whose bytes `produce` hands, in order, to the function it is given (a
    /// download streams into it). Nothing reaches `blobs/` unless the whole content arrived and
    /// matches `expected`.
    ///
    /// - Throws: `EngineError` with code `.digestMismatch` on a digest mismatch; whatever `produce`
    ///   throws (the partial content is removed).
    @discardableResult
    public func writeBlob(expected: String?, _ produce: (_ append: (Data) throws -> Void) throws -> Void) throws -> (
        digest: String, size: Int64
    ) {
        try blobs.write(expected: expected, produce)
    }

    /// Runs `body` holding the shared writer lock, during which `garbageCollect()` waits: a
    /// client that writes blobs and names them in several steps (a pull) holds it throughout.
    public func withSharedLock<T>(_ body: () throws -> T) throws -> T {
        try blobs.withWriterLock(body)
    }

    /// Bytes this store object has written to files in the store (blobs, temporary files,
    /// `index.json` and the names log; not the verified-at records) since it was created.
    public var bytesWritten: Int64 { writeArea.bytesWritten }

    /// Of `bytesWritten`, the bytes written to blobs (through their temporary files): each blob
    /// the store did not have counts once, a blob it had not at all.
    public var blobBytesWritten: Int64 { writeArea.blobBytesWritten }
}
