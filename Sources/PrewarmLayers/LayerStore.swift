import Foundation
import PrewarmArchive
import PrewarmHTTP
import PrewarmSupport

/// A Lambda layer extracted into the cache, and the digests that say what it holds.
public struct CachedLayer: Sendable, Hashable {
    /// The layer's name in the cache: SAM's name for an ARN layer, the zip's file name for a local one.
    public var name: String
    /// The directory holding the layer's files (what goes under `/opt`).
    public var path: String
    /// The SHA-256 of the zip it was extracted from, as 64 lowercase hexadecimal digits.
    public var zipSHA256: String
    /// `ContentDigest.directory` of ``path``: `sha256:<hex>` over every path, mode, link and byte.
    public var contentDigest: String
    /// `false` for a directory SAM CLI downloaded itself (no prewarm record): prewarm used it as SAM does,
    /// without checking it against the layer's `CodeSha256`; ``zipSHA256`` is then empty.
    public var verifiedByPrewarm: Bool = true
}

/// The cache of extracted Lambda layers, shared with SAM CLI and with other prewarm processes.
///
/// ## Layout
/// ```
/// <base>/<name>/                 an ARN layer's files, where SAM CLI also looks (`<base>` is
///                                ~/.aws-sam/layers-pkg by default, as in SAM CLI)
/// <base>/.prewarm/<name>.json    its record: {"format":1,"name":…,"zipSHA256":hex,"contentDigest":"sha256:…"}
/// <base>/.prewarm/<name>.lock    its lock file (flock); never deleted
/// <base>/.prewarm/<name>.<sha>.part  a download in progress, kept after a failure to resume from
/// <base>/.prewarm/local/<sha>/   a local zip layer, keyed by the zip's SHA-256 (with .json and .lock)
/// <base>/.prewarm/tmp-<key>-<uuid>, old-<key>-<uuid>  extraction and replacement in progress
/// ```
///
/// ## Trust
/// A layer directory is used only when its record names the expected zip SHA-256 *and* the directory's
/// content digest, computed again on every check, equals the recorded one. Re-hashing costs a read of the
/// layer, but it is the only check that also catches a file edited or removed in place (SAM CLI, or a user,
/// may touch `<base>/<name>`; times and sizes would not show a same-size edit).
///
/// ## Concurrency: lock files *and* rename discipline
/// - Every change to a layer happens under an exclusive `flock` on its lock file. The lock is taken by
///   polling (`LOCK_NB`, then `Task.sleep`), so waiting never blocks a thread of Swift's cooperative pool,
///   and a cancelled task stops waiting. Two tasks in one process take it as two processes do (each opens
///   the file anew). The second fetcher of a layer waits, then finds it cached: one download.
/// - Nothing is ever written in place: a zip is downloaded to `.part` and checked before it is opened,
///   extracted into `.prewarm/tmp-…`, hashed there, then renamed to `<base>/<name>`. The record is removed
///   before the directory changes and written (temporary file, rename) after, so a process killed at any
///   point leaves either no record or one that the digest check rejects. A directory that is there without a
///   matching record (left by SAM CLI, or half-written by an older tool) is renamed aside, then removed.
/// - SAM CLI takes no lock; it reuses `<base>/<name>` when it exists, which is safe because prewarm only
///   ever puts a complete, verified directory there, with one `rename`.
public struct LayerStore: Sendable {
    /// The cache's base directory.
    public let baseDirectory: String
    /// The most bytes one layer's zip may expand to (`--max-layer-size`).
    public var maxExpandedSize: Int64
    /// How downloads are retried; each retry resumes with `Range` where the server allows it.
    public var retryPolicy: RetryPolicy

    /// A store at `baseDirectory` (created when first needed).
    public init(
        baseDirectory: String = LayerStore.defaultBaseDirectory(),
        maxExpandedSize: Int64 = ZipExtractor.defaultMaxExpandedSize,
        retryPolicy: RetryPolicy = .default
    ) {
        self.baseDirectory = baseDirectory
        self.maxExpandedSize = maxExpandedSize
        self.retryPolicy = retryPolicy
    }

    /// `SAM_LAYER_CACHE_BASEDIR` when set, else `~/.aws-sam/layers-pkg`, as SAM CLI does.
    public static func defaultBaseDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let base = environment["SAM_LAYER_CACHE_BASEDIR"], !base.isEmpty { return base }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.aws-sam/layers-pkg"
    }

    /// The SHA-256 `text` names, as 64 lowercase hexadecimal digits: `text` may be hexadecimal (any case,
    /// with or without `sha256:`) or base64, as Lambda's `Content.CodeSha256` is. `nil` when it is neither.
    public static func normalizedSHA256(_ text: String) -> String? {
        let bare = text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text
        if bare.count == 64, bare.allSatisfy(\.isHexDigit) { return bare.lowercased() }
        guard let data = Data(base64Encoded: text), data.count == 32 else { return nil }
        return Hex.string(data)
    }

    // MARK: - Cached layers

    /// The layer `name` when the cache holds it extracted from the zip with `expectedSHA256` (hexadecimal or
    /// base64) and its files still have the recorded content digest. Takes no lock: a layer being replaced
    /// at that moment reads as absent.
    ///
    /// - Returns: `nil` when it is absent, stale, changed, or `name` is not a valid layer name.
    public func cached(named name: String, expectedSHA256: String) -> CachedLayer? {
        guard Self.isValidName(name), let expected = Self.normalizedSHA256(expectedSHA256) else { return nil }
        return verified(slot(forLayer: name), expected: expected)
    }

    /// The layer `name` when the cache holds it, extracted by prewarm from the zip its record names, and its
    /// files still have the recorded content digest, whichever zip that was. For a layer by ARN this is enough
    /// to skip Lambda altogether: a layer version's content never changes, and `name` carries a hash of the
    /// ARN.
    ///
    /// - Returns: `nil` when it is absent, has no record (SAM CLI put it there), or its files changed.
    public func cached(named name: String) -> CachedLayer? {
        guard Self.isValidName(name) else { return nil }
        let slot = slot(forLayer: name)
        guard let data = FileManager.default.contents(atPath: slot.record),
            let record = try? JSONDecoder().decode(Record.self, from: data)
        else { return nil }
        return verified(slot, expected: record.zipSHA256)
    }

    /// The layer `name`, from the cache when it holds it (see ``cached(named:expectedSHA256:)``), else
    /// downloaded from `download`, checked against `expectedSHA256`, extracted with ``ZipExtractor`` and
    /// recorded. Concurrent calls for one layer, in this process or others, download it once.
    ///
    /// - Parameters:
    ///   - name: the directory name under the base, SAM's name for the layer (`PrewarmPlan`'s `samName`).
    ///   - expectedSHA256: the zip's SHA-256, hexadecimal or base64 (`Content.CodeSha256`).
    ///   - download: the URL to fetch (a pre-signed S3 URL; it never appears unredacted in an error).
    ///   - client: the client to download with.
    /// - Throws: ``LayerStoreError``: `.invalidPath` for a bad name, `.download` when the download failed after
    ///   retries (the cause is the last ``HTTPError``), `.checksumMismatch` when the bytes are not the expected
    ///   ones, the extractor's errors for a hostile or damaged zip, `.io` for the cache's own files;
    ///   `CancellationError`. Nothing unverified enters the cache.
    public func layer(named name: String, expectedSHA256: String, download: String, client: HTTPClient) async throws
        -> CachedLayer
    {
        guard Self.isValidName(name) else {
            throw LayerStoreError(
                .invalidPath, "layer \(name.debugDescription): not a valid directory name for the layer cache")
        }
        guard let expected = Self.normalizedSHA256(expectedSHA256) else {
            throw LayerStoreError(
                .invalidDigest,
                "layer \(name): \(expectedSHA256.debugDescription) is not a SHA-256 (64 hexadecimal digits or base64)")
        }
        let slot = slot(forLayer: name)
        if let hit = verified(slot, expected: expected) { return hit }
        let part = "\(privateDirectory)/\(name).\(expected.prefix(16)).part"
        return try await materialize(slot, expected: expected) {
            try await fetch(name: name, url: download, expected: expected, to: part, client: client)
            return (part, true)
        }
    }

    /// A local zip layer (a template's `ContentUri` that is a `.zip`), extracted with the same checks into a
    /// cache directory keyed by the zip's SHA-256; an unchanged zip is extracted once.
    ///
    /// - Throws: ``LayerStoreError``: `.io` when the zip cannot be read, `.invalidArchive` when it changed while
    ///   being extracted, and the extractor's errors for a hostile or damaged zip.
    public func localZip(path: String) async throws -> CachedLayer {
        let digest = try ContentDigest.file(path)
        let hex = String(digest.dropFirst("sha256:".count))
        let slot = Slot(
            key: "local-\(hex)", name: (path as NSString).lastPathComponent, label: path,
            directory: "\(privateDirectory)/local/\(hex)", record: "\(privateDirectory)/local/\(hex).json",
            lock: "\(privateDirectory)/local/\(hex).lock")
        if let hit = verified(slot, expected: hex) { return hit }
        return try await materialize(slot, expected: hex) { (path, false) }
    }
}

// MARK: - Slots, records, installation

extension LayerStore {
    /// Where one layer lives in the cache.
    struct Slot {
        /// Unique among slots, safe in a file name: names temporary directories.
        var key: String
        var name: String
        /// How messages name the layer's zip.
        var label: String
        var directory: String
        var record: String
        var lock: String
    }

    /// What the record of a layer holds.
    struct Record: Codable {
        var format = 1
        var name: String
        var zipSHA256: String
        var contentDigest: String
    }

    var privateDirectory: String { baseDirectory + "/.prewarm" }

    func slot(forLayer name: String) -> Slot {
        Slot(
            key: name, name: name, label: name, directory: "\(baseDirectory)/\(name)",
            record: "\(privateDirectory)/\(name).json", lock: "\(privateDirectory)/\(name).lock")
    }

    /// A name that is one plain path component and cannot collide with `.prewarm`.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 200 && !name.hasPrefix(".") && !name.contains("/")
            && !name.contains("\0") && !name.contains("\\")
    }

    /// The cached layer when the record matches `expected` and the directory still has the recorded digest.
    func verified(_ slot: Slot, expected: String) -> CachedLayer? {
        guard let data = FileManager.default.contents(atPath: slot.record),
            let record = try? JSONDecoder().decode(Record.self, from: data),
            record.format == 1, record.zipSHA256 == expected
        else { return nil }
        guard FileTree.isDirectory(slot.directory),
            let digest = try? ContentDigest.directory(slot.directory), digest == record.contentDigest
        else { return nil }
        return CachedLayer(name: slot.name, path: slot.directory, zipSHA256: expected, contentDigest: digest)
    }

    /// Under the slot's lock: returns the layer if another process made it meanwhile, else gets a verified zip
    /// from `zip` (its path, and whether to delete it afterwards), extracts, hashes and installs it.
    func materialize(
        _ slot: Slot, expected: String, zip: () async throws -> (path: String, isTemporary: Bool)
    ) async throws -> CachedLayer {
        try makeDirectory((slot.lock as NSString).deletingLastPathComponent)
        let lock: FileLock.Held
        do {
            lock = try await FileLock.acquire(path: slot.lock)
        } catch let error as FileError {
            throw LayerStoreError(.io, "layer \(slot.label): \(error.text)")
        }
        defer { lock.release() }
        if let hit = verified(slot, expected: expected) { return hit }
        removeLeftovers(of: slot)
        let source = try await zip()
        defer { if source.isTemporary { unlink(source.path) } }
        let staging = "\(privateDirectory)/tmp-\(slot.key)-\(UUID().uuidString)"
        do {
            try ZipExtractor(maxExpandedSize: maxExpandedSize)
                .extract(source.path, to: staging, label: slot.label, workDirectory: privateDirectory)
            if !source.isTemporary, try ContentDigest.file(source.path) != "sha256:" + expected {
                throw LayerStoreError(.invalidArchive, "layer zip \(slot.label): changed while being extracted; retry")
            }
            let digest = try ContentDigest.directory(staging)
            try install(staging, in: slot)
            let record = Record(name: slot.name, zipSHA256: expected, contentDigest: digest)
            try AtomicFile.write(try JSONEncoder().encode(record), to: slot.record)
            return CachedLayer(name: slot.name, path: slot.directory, zipSHA256: expected, contentDigest: digest)
        } catch {
            FileTree.remove(staging)
            throw error
        }
    }

    /// Renames `staging` to the slot's directory, first renaming aside (then removing) whatever is there.
    func install(_ staging: String, in slot: Slot) throws {
        if unlink(slot.record) != 0, errno != ENOENT {
            throw LayerStoreError(.io, "layer \(slot.label): cannot remove \(slot.record): \(systemErrorMessage())")
        }
        var status = stat()
        if lstat(slot.directory, &status) == 0 {
            let aside = "\(privateDirectory)/old-\(slot.key)-\(UUID().uuidString)"
            guard rename(slot.directory, aside) == 0 else {
                throw LayerStoreError(
                    .io,
                    "layer \(slot.label): cannot move \(slot.directory) aside: \(systemErrorMessage()); "
                        + "remove it and retry")
            }
            FileTree.remove(aside)
        }
        guard rename(staging, slot.directory) == 0 else {
            throw LayerStoreError(
                .io, "layer \(slot.label): cannot rename into \(slot.directory): \(systemErrorMessage())")
        }
    }

    /// Removes what a killed process left for this slot: `tmp-<key>-<uuid>` and `old-<key>-<uuid>`.
    /// Called under the slot's lock, so nobody is using them.
    func removeLeftovers(of slot: Slot) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: privateDirectory) else { return }
        for name in names {
            for prefix in ["tmp-\(slot.key)-", "old-\(slot.key)-"] where name.hasPrefix(prefix) {
                let rest = name.dropFirst(prefix.count)
                if rest.count == 36, UUID(uuidString: String(rest)) != nil {
                    FileTree.remove(privateDirectory + "/" + name)
                }
            }
        }
    }

    func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw LayerStoreError(
                .io, "cannot create the layer cache directory \(path); check its permissions", cause: error)
        }
    }
}
