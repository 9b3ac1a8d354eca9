import Foundation
import PrewarmArchive
import PrewarmHTTP
import PrewarmSupport

/// An image a ``RegistryClient`` pulled into a store.
public struct RegistryPulledImage: Sendable, Hashable {
    /// The reference as asked for.
    public var reference: ImageReference
    /// Where it was pulled from (after mirrors), pinned to the platform's manifest digest.
    public var source: ImageReference
    /// The platform's image manifest, as served; it is in the store as a blob too.
    public var manifest: RegistryManifestContent
    /// The same manifest, read.
    public var imageManifest: OCIManifest
    /// The platform the image is for, from its configuration.
    public var platform: OCIPlatform
    /// The digest of the index the manifest was chosen from; `nil` when the reference named an image
    /// manifest directly.
    public var indexDigest: String?
}

extension RegistryClient {
    /// The manifest or index `reference` names, as the registry serves it (no mirror is applied).
    ///
    /// For a build cache: `manifest(for: cache.withTag(try RegistryTag.forContentKey(key)))`.
    /// - Returns: `nil` when the registry has no such tag or digest (404).
    /// - Throws: `RegistryError` with code `.unauthorized`, `.registry` (unreachable, another error status,
    ///   content that is not a manifest), or `.digestMismatch` when the content does not have the digest the
    ///   reference pins or the registry announces (`Docker-Content-Digest`).
    public func manifest(for reference: ImageReference) async throws -> RegistryManifestContent? {
        let request = HTTPRequest(
            url: url(reference, "manifests/\(reference.manifestReference)"),
            headers: ["Accept": OCIMediaType.acceptedManifests])
        let answer: Answer
        do {
            answer = try await send(request, scope: .pull(reference))
            if answer.status == 404 { return nil }
            try answer.requireSuccess()
        } catch {
            throw registryError("cannot get the manifest of \(reference)", error)
        }
        let data = answer.body
        let digest = ContentDigest.data(data)
        if let pinned = reference.digest, pinned != digest {
            throw RegistryError(
                .digestMismatch,
                "the manifest of \(reference) from \(reference.registry) has digest \(digest), not the one asked for; the registry or a proxy serves wrong content"
            )
        }
        if let announced = answer.headers["Docker-Content-Digest"], ImageReference.isDigest(announced),
            announced != digest
        {
            throw RegistryError(
                .digestMismatch,
                "the manifest of \(reference) from \(reference.registry) has digest \(digest), but the registry announced \(announced); the registry or a proxy serves wrong content"
            )
        }
        let mediaType = RegistryManifestContent.mediaType(of: data, contentType: answer.headers["Content-Type"])
        return RegistryManifestContent(data: data, mediaType: mediaType, digest: digest)
    }

    /// Whether the registry has the tag or digest `reference` names.
    ///
    /// - Throws: as ``manifest(for:)``.
    public func exists(_ reference: ImageReference) async throws -> Bool {
        let request = HTTPRequest(
            method: .head, url: url(reference, "manifests/\(reference.manifestReference)"),
            headers: ["Accept": OCIMediaType.acceptedManifests])
        do {
            let answer = try await send(request, scope: .pull(reference))
            if answer.status == 404 { return false }
            try answer.requireSuccess()
            return true
        } catch {
            throw registryError("cannot ask whether \(reference) exists", error)
        }
    }

    /// Pulls the image `reference` names for `platform` into `store`: through the first mirror that serves
    /// it, resolving an index or manifest list to `platform`, fetching the configuration and layers the store
    /// lacks, each checked against its digest and size before the store takes it; then the manifest itself.
    ///
    /// - Returns: the image, with its manifest.
    /// - Throws: `RegistryError` with code `.missingBase` when the registry has no such image;
    ///   `.platformNotFound` when neither the index nor the image offers `platform`; `.digestMismatch`
    ///   when content does not have its digest (nothing of it is stored); `.unauthorized`; `.registry`.
    public func pull(
        _ reference: ImageReference, platform: OCIPlatform, into store: some RegistryBlobStore
    ) async throws -> RegistryPulledImage {
        let source = RegistryMirror.resolve(reference, with: configuration.mirrors)
        let via = source == reference ? "" : " (through the mirror \(source.registry))"
        guard var content = try await manifest(for: source) else {
            throw RegistryError(
                .missingBase,
                "\(source.registry) has no image \(reference)\(via); check the name and tag, or push it there")
        }
        var indexDigest: String?
        if content.isIndex {
            let index = try content.imageIndex()
            guard let chosen = Self.select(platform, in: index) else {
                let offered = index.manifests.compactMap(\.platform).filter { $0.os != "unknown" }
                let list = offered.isEmpty ? "no platform" : offered.map(\.description).joined(separator: ", ")
                throw RegistryError(
                    .platformNotFound,
                    "no \(platform) image in the index of \(reference)\(via); it offers \(list): pick another \(RegistryInput.platform) or base image"
                )
            }
            indexDigest = content.digest
            let pinned = source.withDigest(chosen.digest)
            guard let chosenContent = try await manifest(for: pinned) else {
                throw RegistryError(
                    .registry,
                    "the index of \(reference)\(via) lists \(chosen.digest) for \(platform), but \(source.registry) does not have it"
                )
            }
            content = chosenContent
        }
        guard !content.isIndex else {
            throw RegistryError(.registry, "the index of \(reference)\(via) lists another index for \(platform)")
        }
        let manifest = try content.imageManifest()
        let pinned = source.withDigest(content.digest)
        var blobs: [OCIDescriptor] = []
        for blob in [manifest.config] + manifest.layers where !blobs.contains(where: { $0.digest == blob.digest }) {
            blobs.append(blob)
        }
        try await forEachConcurrently(blobs) { blob in
            try await self.pullBlob(blob, from: pinned, into: store)
        }
        let imagePlatform = try await Self.platform(ofConfig: manifest.config, in: store) ?? platform
        guard platform.accepts(imagePlatform) else {
            throw RegistryError(
                .platformNotFound,
                "\(reference)\(via) is a \(imagePlatform) image, not \(platform): pick another \(RegistryInput.platform) or base image"
            )
        }
        try await storeManifest(content, into: store)
        return RegistryPulledImage(
            reference: reference, source: pinned, manifest: content, imageManifest: manifest, platform: imagePlatform,
            indexDigest: indexDigest)
    }

    /// Fetches the blob `descriptor` of `reference` into `store` unless it is there already, resuming a
    /// download cut short, and checking size and digest before the store takes it.
    ///
    /// - Throws: `RegistryError` with code `.digestMismatch` when the content does not match (nothing is
    ///   stored), `.registry` when it cannot be fetched.
    public func pullBlob(
        _ descriptor: OCIDescriptor, from reference: ImageReference, into store: some RegistryBlobStore
    ) async throws {
        guard ImageReference.isDigest(descriptor.digest) else {
            throw RegistryError(
                .registry, "\(reference) names a blob with digest '\(descriptor.digest)', which is not sha256:<hex>")
        }
        if try await store.blobPath(digest: descriptor.digest) != nil {
            count { $0.blobsAlreadyStored += 1 }
            return
        }
        let temporary = try await store.temporaryBlobPath()
        var accepted = false
        defer { if !accepted { try? FileManager.default.removeItem(atPath: temporary) } }
        let request = HTTPRequest(url: url(reference, "blobs/\(descriptor.digest)"))
        let file: DownloadedFile
        do {
            let answer = try await send(
                request, scope: .pull(reference), transfer: .download(path: temporary, offset: 0)
            ) { attempt, _, transfer in
                guard attempt > 1 else { return }
                let size = (try? FileManager.default.attributesOfItem(atPath: temporary)[.size] as? Int64) ?? nil
                transfer = .download(path: temporary, offset: size ?? 0)
            }
            guard case .download(let download) = answer else { throw CancellationError() }
            file = try download.requireSuccess()
        } catch {
            throw registryError("cannot download blob \(descriptor.digest) of \(reference)", error)
        }
        let digest = "sha256:" + file.sha256
        guard digest == descriptor.digest, file.byteCount == descriptor.size else {
            throw RegistryError(
                .digestMismatch,
                "blob \(descriptor.digest) of \(reference) arrived as \(file.byteCount) bytes with digest \(digest) (expected \(descriptor.size) bytes): the registry or a proxy serves wrong content; nothing was stored"
            )
        }
        try await store.ingestVerifiedBlob(from: temporary, digest: digest)
        accepted = true
        count {
            $0.blobsDownloaded += 1
            $0.bytesDownloaded += file.byteCount
        }
    }

    /// The manifest of `index` for `platform`: one whose platform matches exactly (variant included),
    /// else one that `platform` accepts; `nil` when there is none.
    public static func select(_ platform: OCIPlatform, in index: OCIIndex) -> OCIDescriptor? {
        let candidates = index.manifests.filter { $0.platform.map(platform.accepts) ?? false }
        return candidates.first { $0.platform == platform } ?? candidates.first
    }

    /// Writes a manifest into `store` as a blob (OCI layouts keep manifests with the other blobs).
    func storeManifest(_ content: RegistryManifestContent, into store: some RegistryBlobStore) async throws {
        guard try await store.blobPath(digest: content.digest) == nil else { return }
        let temporary = try await store.temporaryBlobPath()
        do {
            try content.data.write(to: URL(fileURLWithPath: temporary))
            try await store.ingestVerifiedBlob(from: temporary, digest: content.digest)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw RegistryError(.io, "cannot store manifest \(content.digest) at \(temporary)", cause: error)
        }
    }

    /// The `os`, `architecture` and `variant` of an image configuration in `store`; `nil` when it does not
    /// say.
    static func platform(ofConfig config: OCIDescriptor, in store: some RegistryBlobStore) async throws
        -> OCIPlatform?
    {
        guard let path = try await store.blobPath(digest: config.digest),
            let data = FileManager.default.contents(atPath: path),
            let decoded = try? JSONDecoder().decode(ConfigPlatform.self, from: data),
            let os = decoded.os, let architecture = decoded.architecture
        else { return nil }
        return OCIPlatform(os: os, architecture: architecture, variant: decoded.variant)
    }
}

/// The platform fields of an image configuration.
private struct ConfigPlatform: Decodable {
    var os: String?
    var architecture: String?
    var variant: String?
}
