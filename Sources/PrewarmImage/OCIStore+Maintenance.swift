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
    }

    /// Checks the whole store: every blob's content against its name, every name's manifest,
    /// configuration and layers present, and no temporary file left by an interrupted write.
    ///
    /// - Parameter repair: removes the blobs that do not match their names and the temporary
    ///   files (under the exclusive lock, so no write is under way).
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
    public func verifyStore(repair: Bool = false) throws -> VerifyReport {
        try FileLock.with(path: gcLockPath, exclusive: repair) {
            var report = VerifyReport()
            if repair, let restored = try restoreIndex() {
                report.problems.append(Problem(path: indexPath, message: restored))
            }
            let table: NameTable
            do {
                table = try names()
            } catch let error as ImageError where error.code == .corrupt {
                report.problems.append(Problem(path: indexPath, message: error.message))
                table = NameTable()
            }
            var damaged: Set<String> = []
            var intact: [String: FileKey] = [:]
            for name in try Self.list(blobDirectory) {
                let file = blobDirectory + "/" + name
                let digest = "sha256:" + name
                guard Self.isValidDigest(digest) else {
                    report.problems.append(Problem(path: file, message: "not a blob name (64 lowercase hex digits)"))
                    continue
                }
                let before = Self.fileKey(file)
                let actual = try ContentDigest.file(file)
                report.blobsChecked += 1
                if actual != digest {
                    damaged.insert(digest)
                    report.problems.append(Problem(path: file, message: "content has digest \(actual), not its name"))
                    if repair { unlink(file) }
                } else if let before, Self.fileKey(file) == before {
                    intact[name] = before
                }
            }
            for name in try Self.list(temporaryDirectory) {
                let file = temporaryDirectory + "/" + name
                report.problems.append(Problem(path: file, message: "temporary file of an interrupted write"))
                if repair { unlink(file) }
            }
            for name in table.allNames {
                guard let entry = table.entry(named: name) else { continue }
                if let (reason, blobListed) = damage(of: entry, damaged: damaged) {
                    report.damagedImages.append(name)
                    // A damaged blob is a problem already; a missing one only shows here.
                    if !blobListed {
                        report.problems.append(Problem(path: indexPath, message: "image \(name): \(reason)"))
                    }
                }
            }
            if repair {
                if !report.damagedImages.isEmpty {
                    let removed = report.damagedImages
                    try updateNames { _ in removed.map { NameChange(name: $0, entry: nil) } }
                }
                try flushNames()
                try replaceVerifiedRecords(intact)
                if !damaged.isEmpty { AtomicFile.syncDirectory(blobDirectory) }
            }
            return report
        }
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
        } catch let error as ImageError {
            return (error.message, false)
        } catch {
            return ("\(error)", false)
        }
    }

    /// Removes the blobs no named image needs (manifests, indexes, configurations, layers,
    /// following indexes) and the temporary files of interrupted writes.
    ///
    /// Holds the exclusive lock, so it waits for builds and imports under way (they hold the
    /// shared one) and none starts meanwhile. A blob modified within `gracePeriod` seconds is
    /// kept all the same, for a writer that stores blobs and names them in separate steps
    /// without holding the shared lock throughout.
    /// - Throws: `ImageError` with code `.corrupt` when a named image's manifest is missing
    ///   or damaged (nothing is removed then: `verify()` says what is wrong).
    public func garbageCollect(gracePeriod: TimeInterval = 600) throws -> (removedBlobs: Int, freedBytes: Int64) {
        try FileLock.with(path: gcLockPath, exclusive: true) {
            try flushNames()
            let needed = try reachableBlobs(from: try index().manifests)
            let now = Date().timeIntervalSince1970
            var removed = 0
            var freed: Int64 = 0
            for name in try Self.list(blobDirectory) where !needed.contains("sha256:" + name) {
                let file = blobDirectory + "/" + name
                var status = stat()
                guard lstat(file, &status) == 0 else { continue }
                let modified = TimeInterval(status.st_mtim.tv_sec) + TimeInterval(status.st_mtim.tv_nsec) / 1e9
                guard now - modified >= gracePeriod else { continue }
                if unlink(file) == 0 {
                    removed += 1
                    freed += Int64(status.st_size)
                }
            }
            for name in try Self.list(temporaryDirectory) {
                let file = temporaryDirectory + "/" + name
                var status = stat()
                if lstat(file, &status) == 0, unlink(file) == 0 { freed += Int64(status.st_size) }
            }
            if removed > 0 { AtomicFile.syncDirectory(blobDirectory) }
            return (removed, freed)
        }
    }

    /// Every blob `roots` need: themselves, and for a manifest its configuration and layers,
    /// for an index its manifests, recursively.
    ///
    /// - Throws: `ImageError` with code `.corrupt` when a manifest or index is missing or
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
                        throw ImageError(.corrupt, "\(what) needs blob \(blob.digest), which is missing")
                    }
                    needed.insert(blob.digest)
                }
            } else if !hasBlob(descriptor.digest) {
                throw ImageError(.corrupt, "\(what) needs blob \(descriptor.digest), which is missing")
            }
        }
        return needed
    }

    static func list(_ directory: String) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ImageError(.io, "cannot list \(directory)", cause: error)
        }
    }
}
