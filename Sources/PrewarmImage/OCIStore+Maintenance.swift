import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

extension OCIStore {
    /// Something wrong in a store, found by `verify()`.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        /// The file concerned.
        public var path: String
        /// What is wrong with it.
        public var message: String

        public var description: String { "\(path): \(message)" }
    }

    /// What `verifyStore(repair:)` found.
    public struct VerifyReport: Sendable {
        /// Everything wrong, one entry each.
        public var problems: [Problem] = []
        /// The names whose images need a blob that is missing or damaged: a build makes them
        /// again (an imported base must be imported or pulled again). With `repair`, these names
        /// were removed, so that nothing trusts them meanwhile.
        public var damagedImages: [String] = []
        /// The blobs whose content was checked.
        public var blobsChecked = 0
        /// What killed writes left under `.tmp/` (with `repair`, removed): not damage, as no blob or name
        /// is made of it, and the next build removes it.
        public var leftovers: [String] = []
    }

    /// Checks the whole store: every blob's content against its name, every name's manifest,
    /// configuration and layers present (what killed writes left under `.tmp/` is no problem:
    /// `verifyStore` lists it apart).
    ///
    /// - Parameter repair: removes the blobs that do not match their names and the leftovers of
    ///   killed writes (under the exclusive lock, so no blob write is under way).
    /// - Returns: the problems found (and, with `repair`, removed where they were files).
    public func verify(repair: Bool = false) throws -> [Problem] {
        try verifyStore(repair: repair).problems
    }

    /// Checks the whole store (see `verify(repair:)`) and says which images are damaged.
    ///
    /// With `repair`, under the exclusive lock: restores a lost or damaged `index.json` from
    /// its copy and the names log, removes damaged blobs and temporary files, and removes the
    /// names of the images that need a blob that is gone, so that the next build makes exactly
    /// those again.
    ///
    /// Without `repair`, nothing in the store changes: the lock is taken only when its file exists.
    public func verifyStore(repair: Bool = false) throws -> VerifyReport {
        try withVerifyLock(repair: repair) {
            var report = VerifyReport()
            report.problems += try checkLayoutFiles(repair: repair)
            if repair, let restored = try names.restore() {
                report.problems.append(Problem(path: layout.indexPath, message: restored))
            }
            let table: NameTable
            do {
                table = try nameTable()
            } catch let error as EngineError where error.code == .corrupt {
                report.problems.append(Problem(path: layout.indexPath, message: error.message))
                table = NameTable()
            }
            var damaged: Set<String> = []
            var intact: [String: FileKey] = [:]
            for name in try Layout.listIfPresent(layout.blobDirectory) {
                let file = layout.blobDirectory + "/" + name
                let digest = "sha256:" + name
                guard Layout.isValidDigest(digest) else {
                    report.problems.append(Problem(path: file, message: "not a blob name (64 lowercase hex digits)"))
                    continue
                }
                let before = FileKey.of(file)
                let actual = try ContentDigest.file(file)
                report.blobsChecked += 1
                if actual != digest {
                    damaged.insert(digest)
                    report.problems.append(Problem(path: file, message: "content has digest \(actual), not its name"))
                    if repair { unlink(file) }
                } else if let before, FileKey.of(file) == before {
                    intact[name] = before
                }
            }
            report.leftovers = try leftovers()
            if repair { try removeLeftovers() }
            for name in table.allNames {
                guard let entry = table.entry(named: name) else { continue }
                if let (reason, blobListed) = damage(of: entry, damaged: damaged) {
                    report.damagedImages.append(name)
                    // A damaged blob is a problem already; a missing one only shows here.
                    if !blobListed {
                        report.problems.append(Problem(path: layout.indexPath, message: "image \(name): \(reason)"))
                    }
                }
            }
            if repair {
                if !report.damagedImages.isEmpty {
                    let removed = report.damagedImages
                    try updateNames { _ in removed.map { NameChange(name: $0, entry: nil) } }
                }
                try flushNames()
                try integrity.replace(with: intact)
                if !damaged.isEmpty { AtomicFile.syncDirectory(layout.blobDirectory) }
            }
            return report
        }
    }

    /// What killed writes left under `.tmp/`: every write area whose process is gone (see `WriteArea`) and
    /// that holds a file, and anything else there but a write area being made (`prewarm-<UUID>.new`). A live
    /// writer's area is never among them; an empty one of a process that ended without removing it (prewarm
    /// ends with `_exit`) is no leftover either, though `removeLeftovers()` removes it.
    func leftovers() throws -> [String] {
        try Layout.listIfPresent(layout.temporaryDirectory).sorted().compactMap { name in
            let file = layout.temporaryDirectory + "/" + name
            guard FileTree.isDirectory(file) else { return file }
            if name.hasSuffix(".new") || ScratchDirectory.isInUse(file) { return nil }
            let files = (try? FileManager.default.contentsOfDirectory(atPath: file)) ?? []
            return files.allSatisfy { $0 == ".owner" } && ScratchDirectory.isScratchName(name) ? nil : file
        }
    }

    /// Removes `leftovers()` and the empty write areas of ended processes; returns the bytes freed.
    @discardableResult
    func removeLeftovers() throws -> Int64 {
        var freed: Int64 = 0
        for file in try leftovers() {
            let size = Self.bytes(under: file)
            if FileTree.remove(file) { freed += size }
        }
        ScratchDirectory.removeAbandoned(in: layout.temporaryDirectory)
        return freed
    }

    /// Runs `body` under the lock `verifyStore` needs: the exclusive one to repair; else the shared one, so
    /// that a repair or a collection does not change the store meanwhile, unless no writer ever made its file.
    private func withVerifyLock<T>(repair: Bool, _ body: () throws -> T) throws -> T {
        if repair { return try blobs.withCollectorLock(body) }
        if FileManager.default.fileExists(atPath: layout.gcLockPath) { return try blobs.withWriterLock(body) }
        return try body()
    }

    /// The files every store has, when missing: `oci-layout` (without which no tool reads the directory as an
    /// OCI image layout) and the blob directory; with `repair`, made again (and `.tmp/`, silently).
    private func checkLayoutFiles(repair: Bool) throws -> [Problem] {
        var problems: [Problem] = []
        if !FileManager.default.fileExists(atPath: layout.layoutPath) {
            if repair { try writeArea.writeAtomically(Self.layoutContent, to: layout.layoutPath) }
            problems.append(
                Problem(
                    path: layout.layoutPath,
                    message: repair
                        ? "was missing; written again" : "is missing, so the directory is not an OCI image layout"))
        }
        if !FileTree.isDirectory(layout.blobDirectory) {
            problems.append(
                Problem(path: layout.blobDirectory, message: repair ? "was missing; made again" : "is missing"))
        }
        if repair {
            do {
                try FileManager.default.createDirectory(atPath: layout.blobDirectory, withIntermediateDirectories: true)
                try FileManager.default.createDirectory(
                    atPath: layout.temporaryDirectory, withIntermediateDirectories: true)
            } catch {
                throw EngineError(.io, "cannot repair the OCI store at \(path)", cause: error)
            }
        }
        return problems
    }

    /// Why the image `entry` cannot be used, when one of the blobs it needs is missing, damaged
    /// (in `damaged`, then `blobListed`) or unreadable; `nil` when it is whole.
    private func damage(of entry: OCIDescriptor, damaged: Set<String>) -> (reason: String, blobListed: Bool)? {
        if !damaged.isEmpty {
            // Manifests and indexes among the damaged cannot be read: look for them first.
            var pending = [entry]
            while let descriptor = pending.popLast() {
                if damaged.contains(descriptor.digest) {
                    return ("needs blob \(descriptor.digest), which is damaged", true)
                }
                guard OCIMediaType.isIndex(descriptor.mediaType),
                    let data = FileManager.default.contents(atPath: (try? blobPath(descriptor.digest)) ?? ""),
                    let index = try? JSONDecoder().decode(OCIIndex.self, from: data)
                else { continue }
                pending.append(contentsOf: index.manifests)
            }
        }
        do {
            for digest in try reachableBlobs(from: [entry]) where damaged.contains(digest) {
                return ("needs blob \(digest), which is damaged", true)
            }
            return nil
        } catch let error as any PrewarmError {
            return (error.message, false)
        } catch {
            return ("\(error)", false)
        }
    }

    /// Removes the blobs no named image needs (manifests, indexes, configurations, layers,
    /// following indexes) and the leftovers of killed writes.
    ///
    /// Holds the exclusive lock, so it waits for builds and imports under way (they hold the
    /// shared one) and none starts meanwhile. A blob modified within `gracePeriod` seconds is
    /// kept all the same, for a writer that stores blobs and names them in separate steps
    /// without holding the shared lock throughout.
    /// - Throws: `EngineError` with code `.corrupt` when a named image's manifest is missing
    ///   or damaged (nothing is removed then: `verify()` says what is wrong).
    public func garbageCollect(gracePeriod: TimeInterval = 600) throws -> (removedBlobs: Int, freedBytes: Int64) {
        try blobs.withCollectorLock {
            try flushNames()
            var removed = 0
            var freed: Int64 = 0
            for blob in try unneededBlobs(gracePeriod: gracePeriod) {
                if unlink(layout.blobDirectory + "/" + blob.digest.dropFirst("sha256:".count)) == 0 {
                    removed += 1
                    freed += blob.bytes
                }
            }
            freed += try removeLeftovers()
            if removed > 0 { AtomicFile.syncDirectory(layout.blobDirectory) }
            return (removed, freed)
        }
    }

    /// What `garbageCollect(gracePeriod:)` would remove now, removing nothing: the blobs no named image
    /// needs, older than `gracePeriod` seconds, by digest, and the leftovers of killed writes, by path; each
    /// with its size. Holds the shared lock, so a collection does not run meanwhile.
    /// - Throws: `EngineError` with code `.corrupt` when a named image's manifest is missing or damaged.
    public func garbage(gracePeriod: TimeInterval = 600) throws -> (
        blobs: [(digest: String, bytes: Int64)], leftovers: [(path: String, bytes: Int64)]
    ) {
        try withVerifyLock(repair: false) {
            (try unneededBlobs(gracePeriod: gracePeriod), try leftovers().map { ($0, Self.bytes(under: $0)) })
        }
    }

    /// The blobs no named image needs that were last modified `gracePeriod` seconds ago or earlier, sorted.
    private func unneededBlobs(gracePeriod: TimeInterval) throws -> [(digest: String, bytes: Int64)] {
        let needed = try reachableBlobs(from: try index().manifests)
        let now = Date().timeIntervalSince1970
        var blobs: [(digest: String, bytes: Int64)] = []
        for name in try Layout.list(layout.blobDirectory).sorted() where !needed.contains("sha256:" + name) {
            var status = stat()
            guard lstat(layout.blobDirectory + "/" + name, &status) == 0 else { continue }
            let modified = TimeInterval(status.st_mtim.tv_sec) + TimeInterval(status.st_mtim.tv_nsec) / 1e9
            guard now - modified >= gracePeriod else { continue }
            blobs.append(("sha256:" + name, Int64(status.st_size)))
        }
        return blobs
    }

    /// Every blob `roots` need: themselves, and for a manifest its configuration and layers,
    /// for an index its manifests, recursively.
    ///
    /// - Throws: `EngineError` with code `.corrupt` when a manifest or index is missing or
    ///   damaged, or a configuration or layer is missing.
    func reachableBlobs(from roots: [OCIDescriptor]) throws -> Set<String> {
        var needed: Set<String> = []
        var pending = roots
        while let descriptor = pending.popLast() {
            guard needed.insert(descriptor.digest).inserted else { continue }
            let what = Self.name(of: descriptor) ?? descriptor.digest
            if OCIMediaType.isIndex(descriptor.mediaType) {
                let index = try OCIJSON.decode(OCIIndex.self, try requireBlob(descriptor.digest, of: what), what: what)
                pending.append(contentsOf: index.manifests)
            } else if descriptor.mediaType == OCIMediaType.imageManifest
                || descriptor.mediaType == OCIMediaType.dockerManifest
            {
                let manifest = try OCIJSON.decode(
                    OCIManifest.self, try requireBlob(descriptor.digest, of: what), what: what)
                for blob in [manifest.config] + manifest.layers {
                    guard hasBlob(blob.digest) else {
                        throw EngineError(.corrupt, "\(what) needs blob \(blob.digest), which is missing")
                    }
                    needed.insert(blob.digest)
                }
            } else if !hasBlob(descriptor.digest) {
                throw EngineError(.corrupt, "\(what) needs blob \(descriptor.digest), which is missing")
            }
        }
        return needed
    }

    /// The bytes of the file `path`, or of the files under the directory `path`.
    static func bytes(under path: String) -> Int64 {
        var status = stat()
        guard lstat(path, &status) == 0 else { return 0 }
        guard status.st_mode & S_IFMT == S_IFDIR else { return Int64(status.st_size) }
        var total: Int64 = 0
        for name in (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? []
        where lstat(path + "/" + name, &status) == 0 && status.st_mode & S_IFMT == S_IFREG {
            total += Int64(status.st_size)
        }
        return total
    }
}
