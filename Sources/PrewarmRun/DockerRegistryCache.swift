import Foundation
import PrewarmImage
import PrewarmOCI
import PrewarmSupport

/// `--cache-from` with a Docker engine: an image whose build key the registry cache has (the tag
/// `pw-<key>`, as ``RegistryBuildCache`` keeps it) is pulled into a scratch OCI store and loaded into the
/// engine under the name SAM looks for, so that a developer's machine gets the images CI built with one
/// command. Keys hold no absolute path, so a cache filled from one checkout serves another. Keeping images
/// in a cache (`--cache-to`) stays with the OCI store.
package struct DockerRegistryCache: BuildCache {
    package let docker: DockerEngine
    package let client: RegistryClient
    /// Where images are looked for (`--cache-from`).
    package let from: ImageReference

    package init(docker: DockerEngine, client: RegistryClient, from: ImageReference) {
        self.docker = docker
        self.client = client
        self.from = from
    }

    package func fetch(key: String, name: String, platform: OCIPlatform) async throws -> EngineImage? {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let store = try OCIStore(path: scratch.path + "/store")
        defer { store.close() }
        guard
            try await RegistryBuildCache.pull(
                key: key, from: from, client: client, into: store, as: name, platform: platform)
        else { return nil }
        let archive = scratch.path + "/image.tar"
        try await store.run { try $0.export(names: [name], format: .docker, to: archive, platform: platform) }
        try await docker.load(archivePath: archive)
        return try await docker.image(named: name)
    }

    /// Keeps nothing: `--cache-to` works with the OCI store.
    package func store(key: String, name: String) async throws {}
}
