import Foundation
import PrewarmImage
import PrewarmOCI
import PrewarmSupport

/// Images kept somewhere by build key, so that a build done once is fetched, not done again.
package protocol BuildCache: Sendable {
    /// Puts the image whose build key is `key` into the engine, named `name`, when the cache has it.
    ///
    /// - Returns: the image, or `nil` when the cache has none for `key`.
    /// - Throws: when the cache has it but fetching it fails.
    func fetch(key: String, name: String, platform: OCIPlatform) async throws -> EngineImage?

    /// Keeps the engine's image `name` under `key`; does nothing when the cache keeps nothing.
    ///
    /// - Throws: when the engine has no such image, or keeping it fails.
    func store(key: String, name: String) async throws
}

/// A build cache in an ordinary registry (`--cache-from`, `--cache-to`): the image of build key K is
/// the tag `pw-<K's hex>` of a repository, and blobs the registry already has are not sent again.
/// This is how a CI matrix or a fleet of runners shares work, with no server of prewarm's own.
package struct RegistryBuildCache: BuildCache {
    package let store: OCIStore
    package let client: RegistryClient
    /// Where images are looked for (`--cache-from`).
    package let from: ImageReference?
    /// Where built images are kept (`--cache-to`).
    package let to: ImageReference?
    /// Pushes go one at a time: images built at once share blobs (the emulator, the base), and
    /// Distribution refuses a manifest whose blob another upload of the same repository is still
    /// writing (`DIGEST_INVALID`, seen in CI), where one after another each finds them with `HEAD`.
    private let pushes = SerialQueue()

    package init(store: OCIStore, client: RegistryClient, from: ImageReference?, to: ImageReference?) {
        self.store = store
        self.client = client
        self.from = from
        self.to = to
    }

    package func fetch(key: String, name: String, platform: OCIPlatform) async throws -> EngineImage? {
        guard let from,
            try await Self.pull(key: key, from: from, client: client, into: store, as: name, platform: platform)
        else { return nil }
        return try await store.image(named: name)
    }

    /// Pulls the image of build key `key` from the cache repository `from` into `store`, named `name`.
    ///
    /// - Returns: `false` when the cache has no image for `key`.
    /// - Throws: when the cache has it but pulling or naming it fails.
    static func pull(
        key: String, from: ImageReference, client: RegistryClient, into store: OCIStore, as name: String,
        platform: OCIPlatform
    ) async throws -> Bool {
        let reference = from.withTag(try RegistryTag.forContentKey(key))
        guard try await client.exists(reference) else { return false }
        let pulled = try await client.pull(reference, platform: platform, into: store)
        let descriptor = OCIDescriptor(
            mediaType: pulled.manifest.mediaType, digest: pulled.manifest.digest,
            size: Int64(pulled.manifest.data.count), platform: pulled.platform)
        try await store.run { try $0.setName(name, to: descriptor) }
        return true
    }

    package func store(key: String, name: String) async throws {
        guard let to else { return }
        guard let descriptor = try store.descriptor(named: name) else {
            throw EngineError(.notFound, "cannot keep \(name) in the cache: the OCI store has no such image")
        }
        let target = to.withTag(try RegistryTag.forContentKey(key))
        try await pushes.run { [client, store] in
            _ = try await client.push(manifestDigest: descriptor.digest, from: store, to: target)
        }
    }
}

/// Runs async jobs one after another, in the order they were handed in.
actor SerialQueue {
    private var tail: Task<Void, Never>?

    func run(_ job: @escaping @Sendable () async throws -> Void) async throws {
        let previous = tail
        let task = Task {
            await previous?.value
            try await job()
        }
        tail = Task { _ = try? await task.value }
        try await task.value
    }
}
