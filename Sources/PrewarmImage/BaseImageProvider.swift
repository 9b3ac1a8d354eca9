import Foundation
import PrewarmOCI
import PrewarmSupport

/// Provides a base image that is not in an `OCIStore`: the seam where pulling from a registry
/// plugs in.
public protocol BaseImageProvider: Sendable {
    /// Puts `reference` for `platform` into `store`, named `reference`.
    ///
    /// - Parameter pull: whether reaching a registry is allowed (`--skip-pull-image` turns it off);
    ///   local sources are used either way.
    /// - Returns: `false` when this provider cannot provide it (the store then reports the base
    ///   as missing).
    /// - Throws: `EngineError` when providing it was tried and failed.
    func provide(_ reference: String, platform: OCIPlatform, pull: Bool, into store: OCIStore) async throws -> Bool
}

/// Base images from a registry, with the OCI distribution API: an index is resolved to the
/// platform, every blob is verified, and the image is named with the reference asked for.
public struct RegistryBaseProvider: BaseImageProvider {
    public let client: RegistryClient

    public init(client: RegistryClient) {
        self.client = client
    }

    public func provide(_ reference: String, platform: OCIPlatform, pull: Bool, into store: OCIStore) async throws
        -> Bool
    {
        guard pull else { return false }
        let image = try ImageReference(reference)
        let pulled = try await client.pull(image, platform: platform, into: store)
        let descriptor = OCIDescriptor(
            mediaType: pulled.manifest.mediaType, digest: pulled.manifest.digest,
            size: Int64(pulled.manifest.data.count), platform: pulled.platform)
        try await store.blocking { try store.setName(reference, to: descriptor) }
        return true
    }
}

/// Base images from an OCI image layout directory (the template's `Metadata.Prewarm.BaseImages`):
/// the image named `reference` (`io.containerd.image.name`) for the platform, copied into the
/// store blob by blob, each checked against its digest.
public struct LayoutBaseProvider: BaseImageProvider {
    public let layout: String

    public init(layout: String) {
        self.layout = layout
    }

    public func provide(_ reference: String, platform: OCIPlatform, pull: Bool, into store: OCIStore) async throws
        -> Bool
    {
        // Reading the layout and copying its blobs blocks: it runs on the store's executor.
        try await store.blocking { try copyImage(reference, platform: platform, into: store) }
    }

    private func copyImage(_ reference: String, platform: OCIPlatform, into store: OCIStore) throws -> Bool {
        let indexPath = layout + "/index.json"
        guard let data = FileManager.default.contents(atPath: indexPath) else {
            throw EngineError(.missingBase, "cannot read \(indexPath): the base images' OCI layout is not there")
        }
        let index: OCIIndex
        do {
            index = try JSONDecoder().decode(OCIIndex.self, from: data)
        } catch {
            throw EngineError(.missingBase, "\(indexPath) is not an OCI image index: \(error)")
        }
        let candidates = index.manifests.filter { $0.annotations?[OCIAnnotation.imageName] == reference }
        guard
            let chosen = candidates.first(where: {
                $0.platform.map { $0.architecture == platform.architecture && $0.os == platform.os } ?? true
            })
        else { return false }
        let manifestData = try copy(chosen.digest, into: store)
        let manifest = try JSONDecoder().decode(OCIManifest.self, from: manifestData)
        for blob in [manifest.config] + manifest.layers { _ = try copyFile(blob.digest, into: store) }
        var descriptor = chosen
        descriptor.annotations = nil
        descriptor.platform = chosen.platform ?? platform
        try store.setName(reference, to: descriptor)
        return true
    }

    private func blobFile(_ digest: String) throws -> String {
        guard OCIStore.Layout.isValidDigest(digest) else {
            throw EngineError(.missingBase, "\(layout) names '\(digest)', which is not a sha256 digest")
        }
        return layout + "/blobs/sha256/" + digest.dropFirst("sha256:".count)
    }

    private func copy(_ digest: String, into store: OCIStore) throws -> Data {
        let file = try blobFile(digest)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw EngineError(.missingBase, "\(layout) lacks the blob \(digest)")
        }
        try store.writeBlob(data, expected: digest)
        return data
    }

    private func copyFile(_ digest: String, into store: OCIStore) throws -> Int64 {
        let file = try blobFile(digest)
        guard FileManager.default.fileExists(atPath: file) else {
            throw EngineError(.missingBase, "\(layout) lacks the blob \(digest)")
        }
        return try store.writeBlob(fromFile: file, expected: digest).size
    }
}

/// Tries providers in order: the first that provides the image wins.
public struct ChainedBaseProvider: BaseImageProvider {
    public let providers: [any BaseImageProvider]

    public init(_ providers: [any BaseImageProvider]) {
        self.providers = providers
    }

    public func provide(_ reference: String, platform: OCIPlatform, pull: Bool, into store: OCIStore) async throws
        -> Bool
    {
        for provider in providers
        where try await provider.provide(reference, platform: platform, pull: pull, into: store) {
            return true
        }
        return false
    }
}
