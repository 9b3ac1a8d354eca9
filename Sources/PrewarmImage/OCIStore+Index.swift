import Crypto
import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

// Names: `index.json` as last compacted, plus the changes appended to `.prewarm-names.log`
// since, read through a cache that follows both files and written only under the index lock.
//
// Naming an image appends one line to the log (fsynced) instead of rewriting `index.json`, so
// that it costs the same with 10 names or 10,000. The log is folded into `index.json` (and its
// copy `.prewarm-index.backup.json`) when it holds more than an eighth as many lines as there
// are names (so a small store's `index.json` is always current, and a large one is rewritten
// once per thousand names, not per name),
// when a store object that named images is closed (`close()`), and by `flushNames()`; a reader applies the
// log's lines on top of `index.json`, so every prewarm process sees every name at once.
extension OCIStore {
    /// The layout's `index.json`, with the names logged since it was last written.
    ///
    /// - Throws: `ImageError` with code `.corrupt` when `index.json` is missing from a store that
    ///   has names, or is not an OCI index (`prewarm verify --repair` restores it).
    public func index() throws -> OCIIndex {
        try names().index
    }

    /// The names of the store, current as of this call (a copy: for lookups, `withNames`).
    func names() throws -> NameTable {
        try withNames { $0 }
    }

    /// Runs `body` on the names of the store, current as of this call, under the state lock:
    /// the table is not copied, so that an append meanwhile changes it in place.
    func withNames<T>(_ body: (NameTable) throws -> T) throws -> T {
        for _ in 0..<3 {
            guard let indexKey = Self.fileKey(indexPath) else {
                if try storeHasContent() { throw indexLost() }
                return try body(NameTable())
            }
            let logKey = Self.fileKey(namesLogPath)
            let cached = state.withLock { state in
                state.names.map { (indexKey: $0.indexKey, logInode: $0.logInode, logOffset: $0.logOffset) }
            }
            if let cached, cached.indexKey == indexKey, logKey?.inode == cached.logInode {
                let changes =
                    if let logKey, logKey.size > cached.logOffset {
                        // Another process named images: its lines are applied in place.
                        try readLog(from: cached.logOffset)
                    } else {
                        ([NameChange](), cached.logOffset)
                    }
                let result = try state.withLock { state -> T? in
                    guard state.names?.indexKey == indexKey, state.names?.logOffset == cached.logOffset else {
                        return nil
                    }
                    state.names?.apply(changes)
                    return try state.names.map { try body($0.table) }
                }
                if let result { return result }
                continue
            }
            // Read both afresh; `index.json` again afterwards, in case a compaction came in between.
            guard let data = FileManager.default.contents(atPath: indexPath) else { continue }
            guard let index = try? JSONDecoder().decode(OCIIndex.self, from: data) else { throw indexDamaged() }
            var fresh = CachedNames(indexKey: indexKey, logInode: logKey?.inode, table: NameTable(index))
            fresh.apply(try readLog(from: 0))
            guard Self.fileKey(indexPath) == indexKey else { continue }
            return try state.withLock { state in
                state.names = fresh
                return try body(fresh.table)
            }
        }
        throw ImageError(.io, "index.json of the OCI store at \(path) keeps changing while it is read; try again")
    }

    /// The complete lines of the names log from byte `offset` on, and the offset after them.
    private func readLog(from offset: UInt64) throws -> (changes: [NameChange], end: UInt64) {
        guard let handle = FileHandle(forReadingAtPath: namesLogPath) else { return ([], offset) }
        defer { try? handle.close() }
        let data: Data
        do {
            try handle.seek(toOffset: offset)
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw ImageError(.io, "cannot read \(namesLogPath)", cause: error)
        }
        // A line without its newline is an append under way (or cut by a kill): not yet a name.
        guard let end = data.lastIndex(of: UInt8(ascii: "\n")) else { return ([], offset) }
        let decoder = JSONDecoder()
        var changes: [NameChange] = []
        for line in data[data.startIndex...end].split(separator: UInt8(ascii: "\n")) {
            // A line that does not decode is skipped (`verify` rewrites the log when it folds it).
            if let change = try? decoder.decode(NameChange.self, from: Data(line)) { changes.append(change) }
        }
        return (changes, offset + UInt64(end - data.startIndex + 1))
    }

    /// Changes the names under the index lock: `change` says what to set and remove, given the
    /// current names; the changes are appended to the log (after the blob directory is synced).
    func updateNames(_ change: (NameTable) throws -> [NameChange]) throws {
        try withIndexLock {
            // The table goes out of scope before the cache is changed in place (no copy).
            let changes = try withNames(change)
            guard !changes.isEmpty else { return }
            // Blobs the new names name must be durable under their names first.
            AtomicFile.syncDirectory(blobDirectory)
            try appendToLog(changes)
            state.withLock { $0.namedImages = true }
            if let cached = state.withLock({ $0.names }), cached.logLines * 8 > cached.table.count {
                try compactNames(cached.table)
            }
        }
    }

    /// Appends `changes` to the names log, one JSON line each, and syncs it; the cache follows.
    private func appendToLog(_ changes: [NameChange]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var lines = Data()
        let existing = Self.fileKey(namesLogPath)
        if let existing, existing.size > 0, Self.lastByte(of: namesLogPath) != UInt8(ascii: "\n") {
            lines.append(UInt8(ascii: "\n"))  // ends the line a killed writer left unfinished
        }
        for change in changes {
            do {
                lines.append(try encoder.encode(change))
            } catch {
                throw ImageError(.io, "cannot encode the name \(change.name)", cause: error)
            }
            lines.append(UInt8(ascii: "\n"))
        }
        let descriptor = open(namesLogPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ImageError(.io, "cannot open \(namesLogPath): \(systemErrorMessage())")
        }
        defer { closeDescriptor(descriptor) }
        try AtomicFile.writeAll(descriptor, lines, path: namesLogPath)
        guard fsync(descriptor) == 0 else {
            throw ImageError(.io, "cannot sync \(namesLogPath): \(systemErrorMessage())")
        }
        if existing == nil { AtomicFile.syncDirectory(path) }
        countWritten(lines.count)
        let key = Self.fileKey(namesLogPath)
        state.withLock { state in
            guard state.names != nil, let key else { return }
            if state.names?.logInode != key.inode {
                state.names?.logInode = key.inode
                state.names?.logOffset = 0
            }
            for change in changes { state.names?.table.apply(change) }
            state.names?.logLines += changes.count
            state.names?.logOffset += UInt64(lines.count)
        }
    }

    /// Writes `table` to `.prewarm-index.backup.json` and `index.json`, then starts an empty log.
    /// Call it holding the index lock.
    private func compactNames(_ table: NameTable) throws {
        let data = try OCIJSON.encode(table.index)
        try writeAtomically(data, to: indexBackupPath)
        try writeAtomically(data, to: indexPath)
        try writeAtomically(Data(), to: namesLogPath)
        if let indexKey = Self.fileKey(indexPath) {
            let cached = CachedNames(indexKey: indexKey, logInode: Self.fileKey(namesLogPath)?.inode, table: table)
            state.withLock { $0.names = cached }
        }
    }

    /// Folds the names log into `index.json`, so that other tools reading the layout see every
    /// name. Does nothing when the log is empty.
    public func flushNames() throws {
        try withIndexLock {
            let table = try names()
            if let cached = state.withLock({ $0.names }),
                cached.logLines > 0 || Self.fileKey(namesLogPath)?.size ?? 0 > 0
            {
                try compactNames(table)
            }
        }
    }

    /// Whether the store holds anything a lost `index.json` would have named.
    private func storeHasContent() throws -> Bool {
        if Self.fileKey(indexBackupPath) != nil || (Self.fileKey(namesLogPath)?.size ?? 0) > 0 { return true }
        return !(try Self.list(blobDirectory)).isEmpty
    }

    private func indexLost() -> ImageError {
        ImageError(
            .corrupt,
            "index.json of the OCI store at \(path) is missing, so its images have no names; run "
                + "`prewarm verify --repair --oci-store \(path)` to restore them from \(Self.backupName) and the names log"
        )
    }

    private func indexDamaged() -> ImageError {
        ImageError(
            .corrupt,
            "index.json of the OCI store at \(path) is damaged (not an OCI image index); run "
                + "`prewarm verify --repair --oci-store \(path)` to restore its names from \(Self.backupName) and the names log"
        )
    }

    /// Rebuilds `index.json` from `.prewarm-index.backup.json` and the names log, for
    /// `verify(repair:)`, holding the index lock.
    ///
    /// - Returns: what was wrong, or `nil` when `index.json` was whole.
    func restoreIndex() throws -> String? {
        try withIndexLock {
            if Self.fileKey(indexPath) != nil,
                (try? JSONDecoder().decode(OCIIndex.self, from: Data(contentsOf: URL(fileURLWithPath: indexPath))))
                    != nil
            {
                return nil
            }
            let wasMissing = Self.fileKey(indexPath) == nil
            let backup = FileManager.default.contents(atPath: indexBackupPath)
                .flatMap { try? JSONDecoder().decode(OCIIndex.self, from: $0) }
            var restored = NameTable(backup ?? OCIIndex(manifests: []))
            for change in try readLog(from: 0).changes { restored.apply(change) }
            try compactNames(restored)
            let what = wasMissing ? "missing" : "damaged"
            let source =
                backup == nil
                ? "the names log alone (no readable \(Self.backupName))" : "\(Self.backupName) and the names log"
            return "index.json was \(what); restored \(restored.count) name(s) from \(source)"
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
    /// - Throws: `ImageError` with code `.notFound` when the store lacks the blob.
    public func setName(_ name: String, to descriptor: OCIDescriptor) throws {
        try setNames([(name, descriptor)])
    }

    /// Names several images at once: one append to the names log for all of them.
    ///
    /// - Throws: `ImageError` with code `.notFound` when the store lacks one of the blobs
    ///   (nothing is named then).
    public func setNames(_ names: [(name: String, descriptor: OCIDescriptor)]) throws {
        var entries: [(String, OCIDescriptor)] = []
        for (name, descriptor) in names {
            guard hasBlob(descriptor.digest) else {
                throw ImageError(.notFound, "cannot name \(name): the OCI store has no blob \(descriptor.digest)")
            }
            var entry = descriptor
            var annotations = descriptor.annotations ?? [:]
            annotations[OCIAnnotation.imageName] = name
            annotations[OCIAnnotation.refName] = Self.tag(of: name)
            entry.annotations = annotations
            entries.append((name, entry))
        }
        try updateNames { table in
            entries.filter { table.entry(named: $0.0) != $0.1 }.map { NameChange(name: $0.0, entry: $0.1) }
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
        try setNames(names.map { ($0, descriptor) })
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
        try withNames { $0.entry(named: name) }
    }

    /// Inode, size and modification time of `file`, or `nil` when there is none: files the store
    /// replaces by rename, so the key changes whenever the content may have.
    static func fileKey(_ file: String) -> FileKey? {
        var status = stat()
        guard stat(file, &status) == 0 else { return nil }
        return FileKey(
            inode: UInt64(status.st_ino), size: UInt64(status.st_size),
            modified: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec),
            changed: Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec))
    }

    private static func lastByte(of file: String) -> UInt8? {
        guard let handle = FileHandle(forReadingAtPath: file) else { return nil }
        defer { try? handle.close() }
        guard let end = try? handle.seekToEnd(), end > 0 else { return nil }
        try? handle.seek(toOffset: end - 1)
        return (try? handle.read(upToCount: 1))?.first
    }

    static let backupName = ".prewarm-index.backup.json"
}

/// What `stat` says of a file: enough to tell that it changed (a write changes the change time,
/// which no one can set back).
struct FileKey: Hashable, Sendable {
    var inode: UInt64
    var size: UInt64
    var modified: Int64
    var changed: Int64
}

/// One line of the names log: `name` now names `entry`, or nothing when `entry` is `nil`.
struct NameChange: Codable, Sendable {
    var name: String
    var entry: OCIDescriptor?
}

/// The names of a store, by name, and the entries of `index.json` that have none.
struct NameTable: Sendable {
    private var byName: [String: OCIDescriptor] = [:]
    private var namesByDigest: [String: Set<String>] = [:]
    private var namesByRepository: [String: Set<String>] = [:]
    private var unnamed: [OCIDescriptor] = []

    init() {}

    init(_ index: OCIIndex) {
        for entry in index.manifests {
            if let name = OCIStore.name(of: entry) {
                apply(NameChange(name: name, entry: entry))
            } else {
                unnamed.append(entry)
            }
        }
    }

    var count: Int { byName.count }

    func entry(named name: String) -> OCIDescriptor? { byName[name] }

    /// The names that name the manifest or index `digest`, sorted.
    func names(of digest: String) -> [String] { (namesByDigest[digest] ?? []).sorted() }

    var allNames: [String] { byName.keys.sorted() }

    /// The names `repository:tag` of `repository`, sorted.
    func names(inRepository repository: String) -> [String] { (namesByRepository[repository] ?? []).sorted() }

    /// `repository` of `repository:tag` (the name up to its last colon after any slash).
    private static func repository(of name: String) -> String? {
        guard let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") else { return nil }
        return String(name[..<colon])
    }

    mutating func apply(_ change: NameChange) {
        let repository = Self.repository(of: change.name)
        if let old = byName[change.name] {
            namesByDigest[old.digest]?.remove(change.name)
            if namesByDigest[old.digest]?.isEmpty == true { namesByDigest[old.digest] = nil }
            if let repository {
                namesByRepository[repository]?.remove(change.name)
                if namesByRepository[repository]?.isEmpty == true { namesByRepository[repository] = nil }
            }
        }
        byName[change.name] = change.entry
        if let entry = change.entry {
            namesByDigest[entry.digest, default: []].insert(change.name)
            if let repository { namesByRepository[repository, default: []].insert(change.name) }
        }
    }

    /// As `index.json` holds them: the unnamed entries first, then by name.
    var index: OCIIndex {
        OCIIndex(manifests: unnamed + byName.sorted { $0.key < $1.key }.map(\.value))
    }
}

/// The names as a store object read them last, with where it stopped in each file.
struct CachedNames: Sendable {
    var indexKey: FileKey
    var logInode: UInt64?
    var logOffset: UInt64 = 0
    var logLines = 0
    var table: NameTable

    mutating func apply(_ read: (changes: [NameChange], end: UInt64)) {
        guard !read.changes.isEmpty || read.end != logOffset else { return }
        for change in read.changes { table.apply(change) }
        logLines += read.changes.count
        logOffset = read.end
    }
}
