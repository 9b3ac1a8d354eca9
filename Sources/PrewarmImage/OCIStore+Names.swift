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
// once per thousand names, not per name), when a store object that named images is closed, and by
// `flush()`; a reader applies the log's lines on top of `index.json`, so every prewarm process sees
// every name at once.
//
// Invariants:
// - the names are `index.json` with the complete lines of the log applied in order; a line without its
//   newline (an append under way, or cut by a kill) is not yet a name;
// - names change only under the exclusive `flock` on `.prewarm-index.lock`, so concurrent processes never
//   lose each other's names; `index.json`, its copy and the log are replaced by rename, never rewritten in
//   place;
// - a name is appended only after the blob directory is synced, so a name never outlives its blob's rename;
// - a store that has content but no readable `index.json` is said to be damaged (never silently emptied):
//   `restore()` (`verify --repair`) rebuilds it from the copy and the log.
extension OCIStore {
    /// The names of a store's images: `index.json`, its copy and the names log.
    final class Names: Sendable {
        let layout: Layout
        private let writeArea: WriteArea
        /// Syncs the blob directory, before a name can name what it holds.
        private let syncBlobs: @Sendable () -> Void
        private let state = Locked(State())

        private struct State {
            /// The names as last read from `index.json` and the names log.
            var cached: CachedNames?
            /// Whether this object named images since it last folded the log (so that `close` folds it).
            var named = false
        }

        init(layout: Layout, writeArea: WriteArea, syncBlobs: @escaping @Sendable () -> Void) {
            self.layout = layout
            self.writeArea = writeArea
            self.syncBlobs = syncBlobs
        }

        /// Writes an empty `index.json` into a new store: one without it, its copy and any blob (a store that
        /// lost its `index.json` keeps saying so).
        func createIfNew() throws {
            let manager = FileManager.default
            guard !manager.fileExists(atPath: layout.indexPath) else { return }
            try withIndexLock {
                if !manager.fileExists(atPath: layout.indexPath), try Layout.list(layout.blobDirectory).isEmpty,
                    !manager.fileExists(atPath: layout.indexBackupPath)
                {
                    try writeArea.writeAtomically(try OCIJSON.encode(OCIIndex(manifests: [])), to: layout.indexPath)
                }
            }
        }

        /// The names, current as of this call (a copy: for lookups, `withTable`).
        func table() throws -> NameTable {
            try withTable { $0 }
        }

        /// Runs `body` on the names, current as of this call, under the state lock: the table is not
        /// copied, so that an append meanwhile changes it in place.
        ///
        /// - Throws: `EngineError` with code `.corrupt` when `index.json` is missing from a store that has
        ///   content, or is not an OCI index.
        func withTable<T>(_ body: (NameTable) throws -> T) throws -> T {
            for _ in 0..<3 {
                guard let indexKey = FileKey.of(layout.indexPath) else {
                    if try storeHasContent() { throw indexLost() }
                    return try body(NameTable())
                }
                let logKey = FileKey.of(layout.namesLogPath)
                let cached = state.withLock { state in
                    state.cached.map { (indexKey: $0.indexKey, logInode: $0.logInode, logOffset: $0.logOffset) }
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
                        guard state.cached?.indexKey == indexKey, state.cached?.logOffset == cached.logOffset else {
                            return nil
                        }
                        state.cached?.apply(changes)
                        return try state.cached.map { try body($0.table) }
                    }
                    if let result { return result }
                    continue
                }
                // Read both afresh; `index.json` again afterwards, in case a compaction came in between.
                guard let data = FileManager.default.contents(atPath: layout.indexPath) else { continue }
                guard let index = try? JSONDecoder().decode(OCIIndex.self, from: data) else { throw indexDamaged() }
                var fresh = CachedNames(indexKey: indexKey, logInode: logKey?.inode, table: NameTable(index))
                fresh.apply(try readLog(from: 0))
                guard FileKey.of(layout.indexPath) == indexKey else { continue }
                return try state.withLock { state in
                    state.cached = fresh
                    return try body(fresh.table)
                }
            }
            throw EngineError(
                .io, "index.json of the OCI store at \(layout.root) keeps changing while it is read; try again")
        }

        /// The complete lines of the names log from byte `offset` on, and the offset after them.
        private func readLog(from offset: UInt64) throws -> (changes: [NameChange], end: UInt64) {
            guard let handle = FileHandle(forReadingAtPath: layout.namesLogPath) else { return ([], offset) }
            defer { try? handle.close() }
            let data: Data
            do {
                try handle.seek(toOffset: offset)
                data = try handle.readToEnd() ?? Data()
            } catch {
                throw EngineError(.io, "cannot read \(layout.namesLogPath)", cause: error)
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
        func update(_ change: (NameTable) throws -> [NameChange]) throws {
            try withIndexLock {
                // The table goes out of scope before the cache is changed in place (no copy).
                let changes = try withTable(change)
                guard !changes.isEmpty else { return }
                // Blobs the new names name must be durable under their names first.
                syncBlobs()
                try appendToLog(changes)
                state.withLock { $0.named = true }
                if let cached = state.withLock({ $0.cached }), cached.logLines * 8 > cached.table.count {
                    try compact(cached.table)
                }
            }
        }

        /// Appends `changes` to the names log, one JSON line each, and syncs it; the cache follows.
        private func appendToLog(_ changes: [NameChange]) throws {
            let path = layout.namesLogPath
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var lines = Data()
            let existing = FileKey.of(path)
            if let existing, existing.size > 0, Self.lastByte(of: path) != UInt8(ascii: "\n") {
                lines.append(UInt8(ascii: "\n"))  // ends the line a killed writer left unfinished
            }
            for change in changes {
                do {
                    lines.append(try encoder.encode(change))
                } catch {
                    throw EngineError(.io, "cannot encode the name \(change.name)", cause: error)
                }
                lines.append(UInt8(ascii: "\n"))
            }
            let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw EngineError(.io, "cannot open \(path): \(systemErrorMessage())")
            }
            defer { closeDescriptor(descriptor) }
            try AtomicFile.writeAll(descriptor, lines, path: path)
            guard fsync(descriptor) == 0 else {
                throw EngineError(.io, "cannot sync \(path): \(systemErrorMessage())")
            }
            if existing == nil { AtomicFile.syncDirectory(layout.root) }
            writeArea.count(lines.count)
            let key = FileKey.of(path)
            state.withLock { state in
                guard state.cached != nil, let key else { return }
                if state.cached?.logInode != key.inode {
                    state.cached?.logInode = key.inode
                    state.cached?.logOffset = 0
                }
                for change in changes { state.cached?.table.apply(change) }
                state.cached?.logLines += changes.count
                state.cached?.logOffset += UInt64(lines.count)
            }
        }

        /// Writes `table` to `.prewarm-index.backup.json` and `index.json`, then starts an empty log.
        /// Call it holding the index lock.
        private func compact(_ table: NameTable) throws {
            let data = try OCIJSON.encode(table.index)
            try writeArea.writeAtomically(data, to: layout.indexBackupPath)
            try writeArea.writeAtomically(data, to: layout.indexPath)
            try writeArea.writeAtomically(Data(), to: layout.namesLogPath)
            if let indexKey = FileKey.of(layout.indexPath) {
                let cached = CachedNames(
                    indexKey: indexKey, logInode: FileKey.of(layout.namesLogPath)?.inode, table: table)
                state.withLock { $0.cached = cached }
            }
        }

        /// Folds the names log into `index.json`, so that other tools reading the layout see every
        /// name. Does nothing when the log is empty.
        func flush() throws {
            try withIndexLock {
                let table = try table()
                if let cached = state.withLock({ $0.cached }),
                    cached.logLines > 0 || FileKey.of(layout.namesLogPath)?.size ?? 0 > 0
                {
                    try compact(table)
                }
                state.withLock { $0.named = false }
            }
        }

        /// Folds the log when this object named images since it last did (for `OCIStore.close()`); a failure
        /// is not reported, as every reader applies the log.
        func flushIfNamed() {
            if state.withLock({ $0.named }) { try? flush() }
        }

        /// Rebuilds `index.json` from `.prewarm-index.backup.json` and the names log, for
        /// `verify(repair:)`, holding the index lock.
        ///
        /// - Returns: what was wrong, or `nil` when `index.json` was whole.
        func restore() throws -> String? {
            try withIndexLock {
                let indexPath = layout.indexPath
                if FileKey.of(indexPath) != nil,
                    (try? JSONDecoder().decode(OCIIndex.self, from: Data(contentsOf: URL(fileURLWithPath: indexPath))))
                        != nil
                {
                    return nil
                }
                let wasMissing = FileKey.of(indexPath) == nil
                let backup = FileManager.default.contents(atPath: layout.indexBackupPath)
                    .flatMap { try? JSONDecoder().decode(OCIIndex.self, from: $0) }
                var restored = NameTable(backup ?? OCIIndex(manifests: []))
                for change in try readLog(from: 0).changes { restored.apply(change) }
                try compact(restored)
                let what = wasMissing ? "missing" : "damaged"
                let backupName = Layout.backupName
                let source =
                    backup == nil
                    ? "the names log alone (no readable \(backupName))" : "\(backupName) and the names log"
                return "index.json was \(what); restored \(restored.count) name(s) from \(source)"
            }
        }

        private func withIndexLock<T>(_ body: () throws -> T) throws -> T {
            try FileLock.with(path: layout.indexLockPath, exclusive: true, body)
        }

        /// Whether the store holds anything a lost `index.json` would have named.
        private func storeHasContent() throws -> Bool {
            if FileKey.of(layout.indexBackupPath) != nil || (FileKey.of(layout.namesLogPath)?.size ?? 0) > 0 {
                return true
            }
            return !(try Layout.list(layout.blobDirectory)).isEmpty
        }

        private func indexLost() -> EngineError {
            EngineError(
                .corrupt,
                "index.json of the OCI store at \(layout.root) is missing, so its images have no names; run "
                    + "`prewarm verify --repair --oci-store \(layout.root)` to restore them from \(Layout.backupName) "
                    + "and the names log"
            )
        }

        private func indexDamaged() -> EngineError {
            EngineError(
                .corrupt,
                "index.json of the OCI store at \(layout.root) is damaged (not an OCI image index); run "
                    + "`prewarm verify --repair --oci-store \(layout.root)` to restore its names from "
                    + "\(Layout.backupName) and the names log"
            )
        }

        private static func lastByte(of file: String) -> UInt8? {
            guard let handle = FileHandle(forReadingAtPath: file) else { return nil }
            defer { try? handle.close() }
            guard let end = try? handle.seekToEnd(), end > 0 else { return nil }
            try? handle.seek(toOffset: end - 1)
            return (try? handle.read(upToCount: 1))?.first
        }
    }
}
