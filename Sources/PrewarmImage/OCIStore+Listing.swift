import Foundation
import PrewarmOCI
import PrewarmSupport

// The store's named images, for `prewarm images`.
extension OCIStore {
    /// One named image of the store (for a name that holds an index, one per platform).
    public struct ListedImage: Sendable, Hashable {
        public var name: String
        /// `amd64`, `arm64`, … as the configuration says.
        public var architecture: String
        /// The manifest's, configuration's and layers' bytes (blobs shared with other images counted too).
        public var size: Int64
        /// When the store got the image: its manifest blob's modification time.
        public var stored: Date?
        /// The template whose build made it (the `dev.prewarm.template` label); `nil` for other images (bases).
        public var template: String?
        public var manifestDigest: String
    }

    /// Every named image of the store, by name, then architecture.
    ///
    /// - Throws: `EngineError` when `index.json` cannot be read, or a named image's manifest or configuration
    ///   is missing or damaged (`prewarm verify` says more).
    public func listImages() throws -> [ListedImage] {
        var listed: [ListedImage] = []
        for entry in try index().manifests {
            guard let name = Self.name(of: entry) else { continue }
            var platforms: [OCIPlatform?] = [nil]
            if OCIMediaType.isIndex(entry.mediaType), let data = try readBlob(entry.digest) {
                let index = try OCIJSON.decode(OCIIndex.self, data, what: "the index of \(name)")
                platforms = index.manifests.compactMap(\.platform).filter { $0.architecture != "unknown" }
            }
            for platform in platforms {
                guard let image = try storedImage(entry, platform: platform, name: name) else { continue }
                let configuration = try? image.configuration()
                let architecture = configuration.map(\.architecture).flatMap { $0.isEmpty ? nil : $0 }
                let size =
                    image.manifestDescriptor.size + image.manifest.config.size
                    + image.manifest.layers.reduce(0) { $0 + $1.size }
                let blob = try? blobPath(image.manifestDescriptor.digest)
                let stored = blob.flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] }
                listed.append(
                    ListedImage(
                        name: name, architecture: architecture ?? "unknown", size: size,
                        stored: stored as? Date, template: configuration?.config?.labels?["dev.prewarm.template"],
                        manifestDigest: image.manifestDescriptor.digest))
            }
        }
        return listed.sorted { ($0.name, $0.architecture) < ($1.name, $1.architecture) }
    }
}
