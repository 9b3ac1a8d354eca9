import Crypto
import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

// Names: `index.json`, read through a cache keyed by its inode and rewritten only under the index lock.
extension OCIStore {
    /// The layout's `index.json`.
    ///
    /// - Throws: `ImageError` with code `.invalidDocument` when it is not an OCI index.
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
                AtomicFile.syncDirectory(blobDirectory)
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
    /// - Throws: `ImageError` with code `.notFound` when the store lacks the blob.
    public func setName(_ name: String, to descriptor: OCIDescriptor) throws {
        guard hasBlob(descriptor.digest) else {
            throw ImageError(.notFound, "cannot name \(name): the OCI store has no blob \(descriptor.digest)")
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
}
