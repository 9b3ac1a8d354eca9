import Foundation
import PrewarmOCI
import PrewarmSupport

// Stand-in bases (``StandIn``) in the store, and every image built on one.
extension OCIStore {
    /// The names of the store that hold a stand-in base or an image built on one, sorted. A name whose
    /// image cannot be read is not one of them (`prewarm verify` reports it).
    ///
    /// - Throws: `EngineError` when the store's names cannot be read.
    public func standInNames() throws -> [String] {
        try nameTable().allNames.filter { name in
            guard let entry = try descriptor(named: name) else { return false }
            var platforms: [OCIPlatform?] = [nil]
            if OCIMediaType.isIndex(entry.mediaType), let data = try readBlob(entry.digest),
                let index = try? OCIJSON.decode(OCIIndex.self, data, what: "the index of \(name)")
            {
                platforms = index.manifests.compactMap(\.platform)
            }
            return platforms.contains { platform in
                guard let image = try? storedImage(entry, platform: platform, name: name),
                    let found = try? engineImage(image)
                else { return false }
                return found.isStandIn
            }
        }
    }

    /// Removes every name ``standInNames()`` lists (their blobs go at the next `garbageCollect()`).
    ///
    /// - Returns: the names removed, sorted.
    /// - Throws: `EngineError` when the store's names cannot be read or changed.
    public func removeStandIns() throws -> [String] {
        let names = try standInNames()
        for name in names { try removeName(name) }
        return names
    }
}
