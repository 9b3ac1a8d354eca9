import Crypto
import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

/// prewarm's daemonless engine: an OCI image layout on disk (`oci-layout`, `index.json`,
/// `blobs/sha256/…`) that builds images by writing blobs, with no container engine.
///
/// An image is its base's layers, one layer with the emulator, and one layer per Lambda layer
/// (its files under `opt/`), each an uncompressed, reproducible tar: the same content is the
/// same blob, stored once, shared by every image that uses it.
///
/// Images are named in `index.json`: the full `repository:tag` in `io.containerd.image.name`
/// (how lookups find them), the tag in `org.opencontainers.image.ref.name`. A new name is
/// appended to `.prewarm-names.log` and folded into `index.json` (and its copy
/// `.prewarm-index.backup.json`, from which `verify(repair:)` restores a lost one) in batches.
///
/// A blob is trusted by what it hashes to: an image is reported present (`image(named:)`) only
/// when its layers are intact, checked cheaply against a verified-at record and hashed again when
/// anything changed (`isIntact`); a build rewrites the blobs that are not.
///
/// Safety against crashes and other processes:
/// - a blob is written to a temporary file under `.tmp/` while it is hashed, verified, fsynced and renamed to
///   `blobs/sha256/<hex>`, so a blob's content always matches its name, even after a kill -9
///   or a power loss; the blob directory is synced before `index.json` names what it holds;
///   `verify()` checks that, and lookups of manifests and configurations verify what they read;
/// - names are appended (and `index.json` rewritten, temp file + rename) under an exclusive
///   `flock` on `.prewarm-index.lock`, so concurrent processes never lose each other's names;
/// - writers (builds, imports, `writeBlob`) hold a shared `flock` on `.prewarm-gc.lock`, which
///   `garbageCollect()` takes exclusively, so a blob written but not yet named is never
///   collected; blobs younger than a grace period are kept too, for writers between two calls;
/// - each store object writes its temporary files into a write area of its own,
///   `.tmp/prewarm-<UUID>/`, locked by its process (a `ScratchDirectory`): what a killed writer
///   left is known to be abandoned, and is removed when the store is next opened for use (and by
///   `verify(repair:)` and `garbageCollect()`), while a live writer's files are never touched.
///
/// The synchronous methods block on file I/O and locks; the `ImageEngine` and `RegistryBlobStore`
/// methods run them on the store's own ``BlockingExecutor``, off the cooperative thread pool.
///
/// Whoever opens a store closes it (``close()``) when done with it, or opens it with
/// ``withStore(path:baseProvider:_:)``: closing folds the names log into `index.json` and removes the
/// write area; nothing is done when the object merely goes away.
public final class OCIStore: Sendable {
    /// The layout's directory.
    public let path: String
    /// Asked for a base image that is not in the store (when pulls are allowed).
    public let baseProvider: (any BaseImageProvider)?

    let state = Locked(StoreState())
    let layerFlights = KeyedLocks()
    /// Where the `async` methods run their blocking work.
    let executor = BlockingExecutor(label: "prewarm.oci-store")

    /// Opens the layout at `path`, creating it (and its directories) when absent.
    ///
    /// - Throws: `ImageError` with code `.io` when it cannot be created, `.unsupported` when
    ///   `path` holds an `oci-layout` of another version, or
    ///   `.corrupt` when `index.json` is missing from a store that has content, or damaged (the
    ///   message says to run `prewarm verify --repair`).
    public convenience init(path: String, baseProvider: (any BaseImageProvider)? = nil) throws {
        try self.init(path: path, baseProvider: baseProvider, opening: .use)
    }

    /// How `init` opens a store: to use it (made when absent), or to verify it (nothing made or changed).
    private enum Opening { case use, verify }

    private init(path: String, baseProvider: (any BaseImageProvider)?, opening: Opening) throws {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
        self.baseProvider = baseProvider
        let manager = FileManager.default
        if opening == .verify {
            guard FileTree.isDirectory(self.path) else {
                throw ImageError(
                    .notFound, "there is no OCI store at \(self.path): nothing to verify; check `ociStore`",
                    setting: .ociStore)
            }
        } else {
            do {
                try manager.createDirectory(atPath: blobDirectory, withIntermediateDirectories: true)
                try manager.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
            } catch {
                throw ImageError(.io, "cannot create the OCI store at \(self.path)", cause: error)
            }
        }
        if let existing = manager.contents(atPath: layoutPath) {
            let version = (try? OCIJSON.decode(OCILayout.self, existing, what: layoutPath))?.imageLayoutVersion
            guard version == "1.0.0" else {
                throw ImageError(
                    .unsupported,
                    "\(layoutPath) says image layout version \(version ?? "?"), not 1.0.0; use another `ociStore`",
                    setting: .ociStore)
            }
        } else if opening == .use {
            try writeAtomically(Self.layoutContent, to: layoutPath)
        }
        guard opening == .use else { return }
        ScratchDirectory.removeAbandoned(in: temporaryDirectory)
        if !manager.fileExists(atPath: indexPath) {
            try withIndexLock {
                // Only a new store gets an empty `index.json`; one that lost it says so below.
                if !manager.fileExists(atPath: indexPath), try Self.list(blobDirectory).isEmpty,
                    !manager.fileExists(atPath: indexBackupPath)
                {
                    try writeAtomically(try OCIJSON.encode(OCIIndex(manifests: [])), to: indexPath)
                }
            }
        }
        _ = try names()
    }

    /// Opens the existing layout at `path` for `verifyStore(repair:)`, making and changing nothing: a lost or
    /// damaged `index.json`, or a missing `oci-layout` or blob directory, is not an error here but a problem
    /// that `verifyStore` reports (and, with `repair`, mends).
    ///
    /// - Throws: `ImageError` with code `.notFound` when `path` is not a directory, `.unsupported` when its
    ///   `oci-layout` names another version.
    public static func openForRepair(path: String) throws -> OCIStore {
        try OCIStore(path: path, baseProvider: nil, opening: .verify)
    }

    /// What `oci-layout` holds.
    static let layoutContent = Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)

    /// Opens the layout at `path` (as `init(path:baseProvider:)` does), runs `body` with it, and closes it
    /// (``close()``) however `body` ends.
    ///
    /// - Returns: what `body` returns.
    /// - Throws: what `init(path:baseProvider:)` or `body` throws.
    public static func withStore<T>(
        path: String, baseProvider: (any BaseImageProvider)? = nil, _ body: (OCIStore) async throws -> T
    ) async throws -> T {
        let store = try OCIStore(path: path, baseProvider: baseProvider)
        do {
            let result = try await body(store)
            await store.closeOffThePool()
            return result
        } catch {
            await store.closeOffThePool()
            throw error
        }
    }

    /// Ends this object's use of the store: folds the names it logged into `index.json`, so that the layout
    /// is complete for other tools, and removes its write area under `.tmp/` (with whatever a write under
    /// way left there). Closing a closed store does nothing; using it again afterwards makes a new write area.
    ///
    /// A failure to fold the log is not reported: the names are in the log, which every reader applies, and
    /// the next store object that names images (or `verify --repair`) folds it. It blocks on files; an
    /// `async` caller may prefer ``withStore(path:baseProvider:_:)``, which closes on the store's executor.
    public func close() {
        if state.withLock({ $0.namedImages }), (try? flushNames()) != nil {
            state.withLock { $0.namedImages = false }
        }
        let area = state.withLock { state in
            defer { state.writeArea = nil }
            return state.writeArea
        }
        area?.remove()
    }

    /// ``close()`` run on the store's executor, off the cooperative thread pool.
    func closeOffThePool() async {
        _ = try? await executor.run { [self] in close() }
    }

    /// Bytes this store object has written to files in the store (blobs, temporary files,
    /// `index.json` and the names log; not the verified-at records) since it was created.
    public var bytesWritten: Int64 { state.withLock { $0.bytesWritten } }

    /// Of `bytesWritten`, the bytes written to blobs (through their temporary files): each blob
    /// the store did not have counts once, a blob it had not at all.
    public var blobBytesWritten: Int64 { state.withLock { $0.blobBytesWritten } }

    // MARK: - Paths

    var blobDirectory: String { path + "/blobs/sha256" }
    var layoutPath: String { path + "/oci-layout" }
    var temporaryDirectory: String { path + "/.tmp" }
    var indexPath: String { path + "/index.json" }
    var indexBackupPath: String { path + "/" + Self.backupName }
    var namesLogPath: String { path + "/.prewarm-names.log" }
    var verifiedLogPath: String { path + "/.prewarm-verified.log" }
    var indexLockPath: String { path + "/.prewarm-index.lock" }
    var gcLockPath: String { path + "/.prewarm-gc.lock" }

    /// The file of blob `digest`, whether or not it exists.
    ///
    /// - Throws: `ImageError` with code `.invalidDigest` when `digest` is not `sha256:` and 64
    ///   lowercase hex digits.
    public func blobPath(_ digest: String) throws -> String {
        guard Self.isValidDigest(digest) else {
            throw ImageError(.invalidDigest, "'\(digest)' is not a sha256 digest (sha256: and 64 hex digits)")
        }
        return blobDirectory + "/" + digest.dropFirst("sha256:".count)
    }

    static func isValidDigest(_ digest: String) -> Bool {
        guard digest.hasPrefix("sha256:") else { return false }
        let hex = digest.utf8.dropFirst("sha256:".count)
        return hex.count == 64
            && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// This object's write area under `.tmp/`, made (and locked) on first use.
    ///
    /// - Throws: `ImageError` with code `.io` when it cannot be made.
    func writeArea() throws -> String {
        try state.withLock { state in
            if let area = state.writeArea { return area.path }
            let area = try ScratchDirectory(in: temporaryDirectory)
            state.writeArea = area
            return area.path
        }
    }

    /// A new path for a temporary file, in this object's write area, on the file system of `blobs/`.
    func temporaryFilePath() throws -> String {
        try writeArea() + "/" + UUID().uuidString + ".partial"
    }

    // MARK: - Locks

    /// Runs `body` holding the shared writer lock, during which `garbageCollect()` waits: a
    /// client that writes blobs and names them in several steps (a pull) holds it throughout.
    public func withSharedLock<T>(_ body: () throws -> T) throws -> T {
        try FileLock.with(path: gcLockPath, exclusive: false, body)
    }

    func withIndexLock<T>(_ body: () throws -> T) throws -> T {
        try FileLock.with(path: indexLockPath, exclusive: true, body)
    }

    /// Runs `body` on the store's executor, off the cooperative pool (it blocks on files and locks).
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await executor.run(body)
    }
}

/// The mutable state of an `OCIStore` (kept behind a `Locked`).
struct StoreState: Sendable {
    var bytesWritten: Int64 = 0
    var blobBytesWritten: Int64 = 0
    /// Layer blobs made in this process, by what they were made from (`emulator sha256:…`,
    /// `layer sha256:…`).
    var layers: [String: OCIDescriptor] = [:]
    /// The names as last read from `index.json` and the names log.
    var names: CachedNames?
    /// Whether this object named images since it was last closed (so that `close()` folds the names log).
    var namedImages = false
    /// Blobs found intact, and damaged, with what `stat` said of them then (see `isIntact`).
    var verifiedBlobs: [String: FileKey] = [:]
    var damagedBlobs: [String: FileKey] = [:]
    /// Where this object writes its temporary files (see `OCIStore.writeArea()`).
    var writeArea: ScratchDirectory?
    /// How far this object read `.prewarm-verified.log`.
    var verifiedLogInode: UInt64?
    var verifiedLogOffset: UInt64 = 0
}
