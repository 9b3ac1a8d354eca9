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

    /// Checks the whole store: every blob's content against its name, every name's manifest,
    /// configuration and layers present, and no temporary file left by an interrupted write.
    ///
    /// - Parameter repair: removes the blobs that do not match their names and the temporary
    ///   files (under the exclusive lock, so no write is under way).
    /// - Returns: the problems found (and, with `repair`, removed where they were files).
    public func verify(repair: Bool = false) throws -> [Problem] {
        try FileLock.with(path: gcLockPath, exclusive: repair) {
            var problems: [Problem] = []
            for name in try Self.list(blobDirectory) {
                let file = blobDirectory + "/" + name
                let digest = "sha256:" + name
                guard Self.isValidDigest(digest) else {
                    problems.append(Problem(path: file, message: "not a blob name (64 lowercase hex digits)"))
                    continue
                }
                let actual = try ContentDigest.file(file)
                if actual != digest {
                    problems.append(Problem(path: file, message: "content has digest \(actual), not its name"))
                    if repair { unlink(file) }
                }
            }
            for name in try Self.list(temporaryDirectory) {
                let file = temporaryDirectory + "/" + name
                problems.append(Problem(path: file, message: "temporary file of an interrupted write"))
                if repair { unlink(file) }
            }
            for entry in try index().manifests {
                let name = Self.name(of: entry) ?? entry.digest
                do {
                    _ = try reachableBlobs(from: [entry])
                } catch let error as ImageError {
                    problems.append(Problem(path: indexPath, message: "image \(name): \(error.message)"))
                }
            }
            return problems
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
