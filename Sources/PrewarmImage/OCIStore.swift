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
/// The store is composed of parts with one job each, and their own invariants (written at the top of
/// their files), as an image store is of a content store and a reference manager:
/// ``Layout`` (where each file is, `OCIStore+Layout.swift`), ``WriteArea`` (this object's temporary
/// files), ``Integrity`` (the verified-at records), ``Blobs`` (the content store) and ``Names``
/// (`index.json` and the names log). `OCIStore` composes them into images: building, importing,
/// exporting, verifying and collecting.
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

    /// Where each file of the store is.
    let layout: Layout
    /// Where this object writes its temporary files, and what it wrote.
    let writeArea: WriteArea
    /// The verified-at records of the blobs.
    let integrity: Integrity
    /// The content store: the blobs under `blobs/sha256`.
    let blobs: Blobs
    /// The names of the images: `index.json` and the names log.
    let names: Names
    /// Layer blobs made by this object, by what they were made from (`emulator sha256:…`,
    /// `layer sha256:…`), and the locks that make each once.
    let madeLayers = Locked([String: OCIDescriptor]())
    let layerFlights = KeyedLocks()
    /// Where the `async` methods run their blocking work.
    let executor = BlockingExecutor(label: "prewarm.oci-store")

    /// Opens the layout at `path`, creating it (and its directories) when absent.
    ///
    /// - Throws: `EngineError` with code `.io` when it cannot be created, `.unsupported` when
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
        layout = Layout(root: self.path)
        writeArea = WriteArea(in: layout.temporaryDirectory)
        integrity = Integrity(layout: layout, writeArea: writeArea)
        let blobs = Blobs(layout: layout, integrity: integrity, writeArea: writeArea)
        self.blobs = blobs
        names = Names(layout: layout, writeArea: writeArea, syncBlobs: { blobs.syncDirectory() })
        let manager = FileManager.default
        if opening == .verify {
            guard FileTree.isDirectory(self.path) else {
                throw EngineError(
                    .notFound,
                    "there is no OCI store at \(self.path): nothing to verify; check \(EngineInput.storePath)")
            }
        } else {
            do {
                try manager.createDirectory(atPath: layout.blobDirectory, withIntermediateDirectories: true)
                try manager.createDirectory(atPath: layout.temporaryDirectory, withIntermediateDirectories: true)
            } catch {
                throw EngineError(.io, "cannot create the OCI store at \(self.path)", cause: error)
            }
        }
        if let existing = manager.contents(atPath: layout.layoutPath) {
            let version = (try? OCIJSON.decode(OCILayout.self, existing, what: layout.layoutPath))?.imageLayoutVersion
            guard version == "1.0.0" else {
                throw EngineError(
                    .unsupported,
                    """
                    \(layout.layoutPath) says image layout version \(version ?? "?"), not 1.0.0; \
                    use another \(EngineInput.storePath)
                    """)
            }
        } else if opening == .use {
            try writeArea.writeAtomically(Self.layoutContent, to: layout.layoutPath)
        }
        guard opening == .use else { return }
        ScratchDirectory.removeAbandoned(in: layout.temporaryDirectory)
        // Only a new store gets an empty `index.json`; one that lost it says so below.
        try names.createIfNew()
        _ = try nameTable()
    }

    /// Opens the existing layout at `path` for `verifyStore(repair:)`, making and changing nothing: a lost or
    /// damaged `index.json`, or a missing `oci-layout` or blob directory, is not an error here but a problem
    /// that `verifyStore` reports (and, with `repair`, mends).
    ///
    /// - Throws: `EngineError` with code `.notFound` when `path` is not a directory, `.unsupported` when its
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
        names.flushIfNamed()
        writeArea.close()
    }

    /// ``close()`` run on the store's executor, off the cooperative thread pool.
    func closeOffThePool() async {
        _ = try? await executor.run { [self] in close() }
    }

    /// Runs `body` on the store's executor, off the cooperative pool (it blocks on files and locks).
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await executor.run(body)
    }

    /// Runs `body` with this store on the store's executor, off the cooperative thread pool: for an `async`
    /// caller of the synchronous methods that block on files and locks (`export`, `importArchive`,
    /// `setName`, `verifyStore`, …).
    ///
    /// - Returns: what `body` returns.
    /// - Throws: what `body` throws.
    public func run<T: Sendable>(_ body: @escaping @Sendable (OCIStore) throws -> T) async throws -> T {
        try await executor.run { [self] in try body(self) }
    }
}
