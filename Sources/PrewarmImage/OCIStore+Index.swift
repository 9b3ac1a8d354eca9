import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

// Naming images: the store's names (``OCIStore/Names``) as its users see them.
extension OCIStore {
    /// The layout's `index.json`, with the names logged since it was last written.
    ///
    /// - Throws: `EngineError` with code `.corrupt` when `index.json` is missing from a store that
    ///   has names, or is not an OCI index (`prewarm verify --repair` restores it).
    public func index() throws -> OCIIndex {
        try names.table().index
    }

    /// The names of the store, current as of this call (a copy: for lookups, `withNames`).
    func nameTable() throws -> NameTable {
        try names.table()
    }

    /// Runs `body` on the names of the store, current as of this call (see `Names.withTable`).
    func withNames<T>(_ body: (NameTable) throws -> T) throws -> T {
        try names.withTable(body)
    }

    /// Changes the names under the index lock (see `Names.update`).
    func updateNames(_ change: (NameTable) throws -> [NameChange]) throws {
        try names.update(change)
    }

    /// Folds the names log into `index.json`, so that other tools reading the layout see every
    /// name. Does nothing when the log is empty.
    public func flushNames() throws {
        try names.flush()
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
    /// - Throws: `EngineError` with code `.notFound` when the store lacks the blob.
    public func setName(_ name: String, to descriptor: OCIDescriptor) throws {
        try setNames([(name, descriptor)])
    }

    /// Names several images at once: one append to the names log for all of them.
    ///
    /// - Throws: `EngineError` with code `.notFound` when the store lacks one of the blobs
    ///   (nothing is named then).
    public func setNames(_ names: [(name: String, descriptor: OCIDescriptor)]) throws {
        var entries: [(String, OCIDescriptor)] = []
        for (name, descriptor) in names {
            guard hasBlob(descriptor.digest) else {
                throw EngineError(.notFound, "cannot name \(name): the OCI store has no blob \(descriptor.digest)")
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
}
