import Crypto
import Foundation
import PrewarmHTTP

/// Provides a base image that is not in an `OCIStore`: the seam where pulling from a registry
/// plugs in.
public protocol BaseImageProvider: Sendable {
    /// Puts `reference` for `platform` (`linux/arm64`) into `store`, named `reference`.
    ///
    /// - Parameter pull: whether reaching a registry is allowed (`--skip-pull-image` turns it off);
    ///   local sources are used either way.
    /// - Returns: `false` when this provider cannot provide it (the store then reports the base
    ///   as missing).
    /// - Throws: `ImageError` when providing it was tried and failed.
    func provide(_ reference: String, platform: String, pull: Bool, into store: OCIStore) async throws -> Bool
}

/// prewarm's daemonless engine: an OCI image layout on disk (`oci-layout`, `index.json`,
/// `blobs/sha256/…`) that builds images by writing blobs, with no container engine.
///
/// An image is its base's layers, one layer with the emulator, and one layer per Lambda layer
/// (its files under `opt/`), each an uncompressed, reproducible tar: the same content is the
/// same blob, stored once, shared by every image that uses it.
///
/// Images are named in `index.json`: the full `repository:tag` in `io.containerd.image.name`
/// (how lookups find them), the tag in `org.opencontainers.image.ref.name`.
///
/// Safety against crashes and other processes:
/// - a blob is written to `.tmp/` while it is hashed, verified, fsynced and renamed to
///   `blobs/sha256/<hex>`, so a blob's content always matches its name, even after a kill -9
///   or a power loss; the blob directory is synced before `index.json` names what it holds;
///   `verify()` checks that, and lookups of manifests and configurations verify what they read;
/// - `index.json` is rewritten (temp file + rename) under an exclusive `flock` on
///   `.prewarm-index.lock`, so concurrent processes never lose each other's names;
/// - writers (builds, imports, `writeBlob`) hold a shared `flock` on `.prewarm-gc.lock`, which
///   `garbageCollect()` takes exclusively, so a blob written but not yet named is never
///   collected; blobs younger than a grace period are kept too, for writers between two calls.
///
/// The synchronous methods block on file I/O and locks; the `ImageEngine` methods run them off
/// the cooperative thread pool.
public final class OCIStore: ImageEngine, @unchecked Sendable {
    /// The layout's directory.
    public let path: String
    /// Asked for a base image that is not in the store (when pulls are allowed).
    public let baseProvider: (any BaseImageProvider)?

    let state = LockedState()
    let layerFlights = KeyedLocks()

    /// Opens the layout at `path`, creating it (and its directories) when absent.
    ///
    /// - Throws: `ImageError` with code `.io` when it cannot be created, or `.layerContent` when
    ///   `path` holds an `oci-layout` of another version.
    public init(path: String, baseProvider: (any BaseImageProvider)? = nil) throws {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
        self.baseProvider = baseProvider
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: blobDirectory, withIntermediateDirectories: true)
            try manager.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
        } catch {
            throw ImageError(.io, "cannot create the OCI store at \(self.path)", cause: error)
        }
        let layoutFile = self.path + "/oci-layout"
        if let existing = manager.contents(atPath: layoutFile) {
            let version = (try? OCIJSON.dictionary(existing, what: layoutFile))?["imageLayoutVersion"] as? String
            guard version == "1.0.0" else {
                throw ImageError(
                    .layerContent,
                    "\(layoutFile) says image layout version \(version ?? "?"), not 1.0.0; use another --oci-store")
            }
        } else {
            try writeAtomically(Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: layoutFile)
        }
        if !manager.fileExists(atPath: indexPath) {
            try withIndexLock {
                if !manager.fileExists(atPath: indexPath) {
                    try writeAtomically(try OCIJSON.encode(OCIIndex(manifests: [])), to: indexPath)
                }
            }
        }
    }

    /// Bytes this store object has written to files in the store (blobs, temporary files,
    /// `index.json`) since it was created.
    public var bytesWritten: Int64 { state.withLock { $0.bytesWritten } }

    /// Of `bytesWritten`, the bytes written to blobs (through their temporary files): each blob
    /// the store did not have counts once, a blob it had not at all.
    public var blobBytesWritten: Int64 { state.withLock { $0.blobBytesWritten } }

    // MARK: - Paths

    var blobDirectory: String { path + "/blobs/sha256" }
    var temporaryDirectory: String { path + "/.tmp" }
    var indexPath: String { path + "/index.json" }
    var indexLockPath: String { path + "/.prewarm-index.lock" }
    var gcLockPath: String { path + "/.prewarm-gc.lock" }

    /// The file of blob `digest`, whether or not it exists.
    ///
    /// - Throws: `ImageError` with code `.layerContent` when `digest` is not `sha256:` and 64
    ///   lowercase hex digits.
    public func blobPath(_ digest: String) throws -> String {
        guard Self.isValidDigest(digest) else {
            throw ImageError(.layerContent, "'\(digest)' is not a sha256 digest (sha256: and 64 hex digits)")
        }
        return blobDirectory + "/" + digest.dropFirst("sha256:".count)
    }

    static func isValidDigest(_ digest: String) -> Bool {
        guard digest.hasPrefix("sha256:") else { return false }
        let hex = digest.utf8.dropFirst("sha256:".count)
        return hex.count == 64
            && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
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

    // MARK: - Blobs

    /// Whether the store has blob `digest` (by name; `verify()` checks content).
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
    /// - Throws: `ImageError` with code `.layerContent` when its content does not match its
    ///   digest (the store is damaged: `prewarm gc` after `verify` removes it).
    public func readBlob(_ digest: String) throws -> Data? {
        let file = try blobPath(digest)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        guard ContentDigest.data(data) == digest else {
            throw ImageError(
                .layerContent, "blob \(file) does not match its digest; the OCI store is damaged: remove the blob")
        }
        return data
    }

    /// Stores `data` as a blob (unless the store has it already).
    ///
    /// - Parameter expected: the digest `data` must have, when the caller knows it.
    /// - Returns: its digest and size.
    /// - Throws: `ImageError` with code `.layerContent` when `data` does not match `expected`.
    @discardableResult
    public func writeBlob(_ data: Data, expected: String? = nil) throws -> (digest: String, size: Int64) {
        let digest = ContentDigest.data(data)
        if let expected, expected != digest {
            throw ImageError(.layerContent, "content should have digest \(expected) but has \(digest)")
        }
        // A blob held already is kept only when it is intact (it is small: compare it whole).
        if blobSize(digest) == Int64(data.count), FileManager.default.contents(atPath: try blobPath(digest)) == data {
            return (digest, Int64(data.count))
        }
        return try withSharedLock {
            let ingest = try BlobIngest(store: self)
            try ingest.append(data)
            return try ingest.commit(expected: digest)
        }
    }

    /// Stores the file at `source` as a blob, reading it in blocks and hashing what it writes.
    ///
    /// - Throws: `ImageError` with code `.layerContent` when its content does not match
    ///   `expected`, `.io` when it cannot be read.
    @discardableResult
    public func writeBlob(fromFile source: String, expected: String? = nil) throws -> (digest: String, size: Int64) {
        if let expected, let size = blobSize(expected), let sourceSize = Self.fileSize(source), size == sourceSize {
            return (expected, size)
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
    /// - Throws: `ImageError` with code `.layerContent` on a digest mismatch; whatever `produce`
    ///   throws (the partial content is removed).
    @discardableResult
    public func writeBlob(expected: String?, _ produce: (_ append: (Data) throws -> Void) throws -> Void) throws -> (
        digest: String, size: Int64
    ) {
        try withSharedLock {
            let ingest = try BlobIngest(store: self)
            do {
                try produce { try ingest.append($0) }
            } catch {
                ingest.discard()
                throw error
            }
            return try ingest.commit(expected: expected)
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
        let temporary = temporaryDirectory + "/" + UUID().uuidString + ".partial"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ImageError(.io, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        do {
            defer { close(descriptor) }
            try Self.writeAll(descriptor, data, path: temporary)
            countWritten(data.count)
            guard fsync(descriptor) == 0 else {
                throw ImageError(.io, "cannot sync \(temporary): \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, file) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ImageError(.io, "cannot rename \(temporary) to \(file): \(reason)")
        }
        Self.syncDirectory(URL(fileURLWithPath: file).deletingLastPathComponent().path)
    }

    static func writeAll(_ descriptor: Int32, _ data: Data, path: String) throws {
        try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ImageError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
    }

    static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    // MARK: - Names

    /// The layout's `index.json`.
    ///
    /// - Throws: `ImageError` with code `.layerContent` when it is not an OCI index.
    public func index() throws -> OCIIndex {
        try index(fresh: false)
    }

    /// `index.json`, read again when `fresh` (for a change under the lock) or when it is not the
    /// copy read last.
    func index(fresh: Bool) throws -> OCIIndex {
        // `index.json` is only ever replaced by a rename, so its inode, size and time say
        // whether the copy read last is still current (for lookups; a change reads it afresh).
        var status = stat()
        guard stat(indexPath, &status) == 0 else { return OCIIndex(manifests: []) }
        let key = [
            UInt64(status.st_ino), UInt64(status.st_size), UInt64(status.st_mtim.tv_sec),
            UInt64(status.st_mtim.tv_nsec),
        ]
        if !fresh, let cached = state.withLock({ $0.index }), cached.key == key { return cached.index }
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            return OCIIndex(manifests: [])
        }
        let index = try OCIJSON.decode(OCIIndex.self, data, what: indexPath)
        state.withLock { $0.index = (key, index) }
        return index
    }

    /// Changes `index.json` under the index lock; writes it only when `change` returns `true`.
    func updateIndex(_ change: (inout OCIIndex) throws -> Bool) throws {
        try withIndexLock {
            var index = try self.index(fresh: true)
            if try change(&index) {
                // Blobs the new index names must be durable under their names first.
                Self.syncDirectory(blobDirectory)
                try writeAtomically(try OCIJSON.encode(index), to: indexPath)
            }
        }
    }

    /// The full name an entry of `index.json` gives its image: `io.containerd.image.name`, else
    /// `org.opencontainers.image.ref.name` when that is a full name (as other tools write it).
    static func name(of descriptor: OCIDescriptor) -> String? {
        if let name = descriptor.annotations?[OCIAnnotation.imageName] { return name }
        return descriptor.annotations?[OCIAnnotation.refName]
    }

    /// Names `descriptor` (a manifest or index in the store) `name`, replacing what the name
    /// held before.
    ///
    /// - Throws: `ImageError` with code `.layerContent` when the store lacks the blob.
    public func setName(_ name: String, to descriptor: OCIDescriptor) throws {
        guard hasBlob(descriptor.digest) else {
            throw ImageError(.layerContent, "cannot name \(name): the OCI store has no blob \(descriptor.digest)")
        }
        var entry = descriptor
        var annotations = descriptor.annotations ?? [:]
        annotations[OCIAnnotation.imageName] = name
        annotations[OCIAnnotation.refName] = Self.tag(of: name)
        entry.annotations = annotations
        try updateIndex { index in
            if index.manifests.contains(entry), index.manifests.filter({ Self.name(of: $0) == name }).count == 1 {
                return false
            }
            index.manifests.removeAll { Self.name(of: $0) == name }
            index.manifests.append(entry)
            index.manifests.sort { (Self.name(of: $0) ?? "") < (Self.name(of: $1) ?? "") }
            return true
        }
    }

    /// Stores manifest (or index) `data` as a blob and names it with each of `names`.
    ///
    /// - Returns: its descriptor.
    @discardableResult
    public func addManifest(_ data: Data, mediaType: String, names: [String], platform: OCIPlatform? = nil) throws
        -> OCIDescriptor
    {
        let (digest, size) = try writeBlob(data)
        let descriptor = OCIDescriptor(mediaType: mediaType, digest: digest, size: size, platform: platform)
        for name in names { try setName(name, to: descriptor) }
        return descriptor
    }

    /// The tag of `repository:tag` (`latest` without one; the digest of `repository@digest`).
    static func tag(of name: String) -> String {
        if let at = name.firstIndex(of: "@") { return String(name[name.index(after: at)...]) }
        let (_, tag) = DockerEngine.splitReference(name)
        return tag ?? "latest"
    }

    /// The entry of `index.json` named `name`, or `nil`.
    public func descriptor(named name: String) throws -> OCIDescriptor? {
        try index().manifests.first { Self.name(of: $0) == name }
    }

    // MARK: - Images

    /// An image in the store: its manifest and its configuration.
    public struct StoredImage: Sendable {
        public var manifestDescriptor: OCIDescriptor
        public var manifest: OCIManifest
        /// The configuration's JSON, as stored.
        public var configData: Data

        /// The configuration as a dictionary.
        public func configuration() throws -> [String: Any] {
            try OCIJSON.dictionary(configData, what: "configuration \(manifest.config.digest)")
        }
    }

    /// The image named `name`, for `platform` when the name holds an index.
    ///
    /// - Returns: `nil` when no image has that name, or its index has no manifest for `platform`.
    /// - Throws: `ImageError` with code `.layerContent` when a manifest or configuration is
    ///   missing or does not match its digest.
    public func storedImage(named name: String, platform: OCIPlatform? = nil) throws -> StoredImage? {
        guard let entry = try descriptor(named: name) else { return nil }
        return try storedImage(entry, platform: platform, name: name)
    }

    func storedImage(_ entry: OCIDescriptor, platform: OCIPlatform?, name: String) throws -> StoredImage? {
        var descriptor = entry
        var data = try requireBlob(descriptor.digest, of: name)
        if OCIMediaType.isIndex(descriptor.mediaType) {
            let index = try OCIJSON.decode(OCIIndex.self, data, what: "the index of \(name)")
            let candidates = index.manifests.filter { !OCIMediaType.isIndex($0.mediaType) }
            let chosen =
                platform.map { wanted in candidates.first { Self.matches($0.platform, wanted) } }
                ?? candidates.first { $0.platform?.architecture != "unknown" }
            guard let chosen else { return nil }
            descriptor = chosen
            data = try requireBlob(chosen.digest, of: name)
        }
        let manifest = try OCIJSON.decode(OCIManifest.self, data, what: "the manifest of \(name)")
        let config = try requireBlob(manifest.config.digest, of: name)
        return StoredImage(manifestDescriptor: descriptor, manifest: manifest, configData: config)
    }

    static func matches(_ platform: OCIPlatform?, _ wanted: OCIPlatform) -> Bool {
        guard let platform else { return false }
        guard platform.os == wanted.os, platform.architecture == wanted.architecture else { return false }
        return wanted.variant == nil || platform.variant == nil || platform.variant == wanted.variant
    }

    func requireBlob(_ digest: String, of name: String) throws -> Data {
        guard let data = try readBlob(digest) else {
            throw ImageError(
                .layerContent,
                "image \(name) in the OCI store at \(path) lacks blob \(digest); import or build it again")
        }
        return data
    }

    func engineImage(_ image: StoredImage) throws -> EngineImage {
        let config = try image.configuration()
        let labels = (config["config"] as? [String: Any])?["Labels"] as? [String: String] ?? [:]
        let digest = image.manifestDescriptor.digest
        let names = try index().manifests.filter { $0.digest == digest }.compactMap(Self.name(of:)).sorted()
        return EngineImage(
            id: image.manifest.config.digest, names: names, labels: labels,
            architecture: config["architecture"] as? String ?? "")
    }

    /// Runs `body` on a thread of its own, off the cooperative pool (it blocks on files and locks).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }

    // MARK: - ImageEngine

    public var description: String { "oci store at \(path)" }

    public var buildForm: BuildContext.Form { .separateLayers }

    public func image(named name: String) async throws -> EngineImage? {
        try await Self.blocking { [self] in
            guard let image = try storedImage(named: name) else { return nil }
            return try engineImage(image)
        }
    }

    public func prepareBase(_ reference: String, platform: String, pull: Bool) async throws -> EngineImage {
        guard let wanted = try? OCIPlatform(platform) else {
            throw ImageError(.missingBase, "cannot read platform '\(platform)'; write it as linux/amd64 or linux/arm64")
        }
        if let found = try await Self.blocking({ [self] in try baseImage(reference, platform: wanted) }) {
            return found
        }
        if let baseProvider, try await baseProvider.provide(reference, platform: platform, pull: pull, into: self),
            let found = try await Self.blocking({ [self] in try baseImage(reference, platform: wanted) })
        {
            return found
        }
        throw missingBase(reference, platform: platform)
    }

    func baseImage(_ reference: String, platform: OCIPlatform) throws -> EngineImage? {
        guard let image = try storedImage(named: reference, platform: platform) else { return nil }
        let found = try engineImage(image)
        guard found.architecture == platform.architecture else {
            throw ImageError(
                .missingBase,
                "base image \(reference) in the OCI store at \(path) is \(found.architecture), "
                    + "not \(platform.architecture) as \(platform.os)/\(platform.architecture) needs; "
                    + "import the \(platform.architecture) image")
        }
        return found
    }

    func missingBase(_ reference: String, platform: String) -> ImageError {
        ImageError(
            .missingBase,
            "base image \(reference) for \(platform) is not in the OCI store at \(path); import it with "
                + "`prewarm import FILE` (a `docker save` or OCI layout tar) or pull it")
    }

    public func build(_ request: ImageBuildRequest, output: @escaping @Sendable (String) -> Void) async throws
        -> EngineImage
    {
        try await Self.blocking { [self] in try buildImage(request, output: output) }
    }

    public func remove(_ name: String) async throws {
        try await Self.blocking { [self] in try removeName(name) }
    }

    /// Removes the name `name` from `index.json` (its blobs go at the next `garbageCollect()`).
    /// Does nothing when there is no such name.
    public func removeName(_ name: String) throws {
        try updateIndex { index in
            let before = index.manifests.count
            index.manifests.removeAll { Self.name(of: $0) == name }
            return index.manifests.count != before
        }
    }

    public func names(inRepository repository: String) async throws -> [String] {
        try await Self.blocking { [self] in
            try index().manifests.compactMap(Self.name(of:)).filter { $0.hasPrefix(repository + ":") }.sorted()
        }
    }
}

/// The mutable state of an `OCIStore`, behind a lock.
final class LockedState: @unchecked Sendable {
    struct Values {
        var bytesWritten: Int64 = 0
        var blobBytesWritten: Int64 = 0
        /// Layer blobs made in this process, by what they were made from (`emulator sha256:…`,
        /// `layer sha256:…`).
        var layers: [String: OCIDescriptor] = [:]
        /// The last `index.json` read, with the inode, size and modification time it had.
        var index: (key: [UInt64], index: OCIIndex)?
    }
    private let lock = NSLock()
    private var values = Values()

    func withLock<T>(_ body: (inout Values) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&values)
    }
}

/// One lock per key, so that a piece of work is done once while others wanting it wait.
final class KeyedLocks: @unchecked Sendable {
    private let lock = NSLock()
    private var locks: [String: NSLock] = [:]

    func with<T>(_ key: String, _ body: () throws -> T) rethrows -> T {
        lock.lock()
        let keyLock = locks[key] ?? NSLock()
        locks[key] = keyLock
        lock.unlock()
        keyLock.lock()
        defer { keyLock.unlock() }
        return try body()
    }
}

/// `flock` on a lock file: held by this process until `body` returns.
enum FileLock {
    static func with<T>(path: String, exclusive: Bool, _ body: () throws -> T) throws -> T {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ImageError(.io, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        while flock(descriptor, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else {
                throw ImageError(.io, "cannot lock \(path): \(String(cString: strerror(errno)))")
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}

/// A blob being written: a temporary file in the store, hashed as it is written.
final class BlobIngest {
    private let store: OCIStore
    let temporary: String
    private var descriptor: Int32
    private var hasher = SHA256()
    private(set) var size: Int64 = 0

    init(store: OCIStore) throws {
        self.store = store
        temporary = store.temporaryDirectory + "/" + UUID().uuidString + ".partial"
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ImageError(.io, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
    }

    deinit { discard() }

    func append(_ data: Data) throws {
        hasher.update(data: data)
        try OCIStore.writeAll(descriptor, data, path: temporary)
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
    /// - Throws: `ImageError` with code `.layerContent` when the content is not `expected`.
    func commit(expected: String?) throws -> (digest: String, size: Int64) {
        let digest = "sha256:" + Hex.string(hasher.finalize())
        if let expected, expected != digest {
            discard()
            throw ImageError(.layerContent, "content should have digest \(expected) but has \(digest); not stored")
        }
        guard fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            discard()
            throw ImageError(.io, "cannot sync \(temporary): \(reason)")
        }
        close(descriptor)
        descriptor = -1
        let target = try store.blobPath(digest)
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ImageError(.io, "cannot rename \(temporary) to \(target): \(reason)")
        }
        // The rename is made durable by the next `updateIndex`, which syncs the blob directory
        // before `index.json` can name the blob: one directory sync per image, not per blob.
        return (digest, size)
    }
}
