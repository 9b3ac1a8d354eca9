import Foundation
import PrewarmArchive
import PrewarmHTTP
import PrewarmSupport

/// How a push made a blob available in the target repository.
public enum RegistryBlobPush: Sendable, Hashable {
    /// The repository had it already (`HEAD`); nothing was sent.
    case existed
    /// Mounted from another repository of the same registry; nothing was sent.
    case mounted
    /// Uploaded.
    case uploaded
}

extension RegistryClient {
    /// Pushes the image whose manifest is the blob `manifestDigest` of `store` to `reference`: every blob
    /// the repository lacks (``pushBlob(_:from:to:mountingFrom:)``), then the manifest under the reference's
    /// tag, or under its digest when it has no tag.
    ///
    /// - Parameter mountingFrom: a repository of the same registry that may hold the blobs (where the base
    ///   image was pulled from, or another function's repository); they are mounted instead of uploaded.
    /// - Returns: the manifest's descriptor (media type, digest, size).
    /// - Throws: `RegistryError` with code `.notFound` when the store lacks the manifest or a blob it names,
    ///   `.unauthorized`, `.registry`, or `.digestMismatch` when the registry stored the manifest under
    ///   another digest.
    @discardableResult
    public func push(
        manifestDigest: String, from store: some RegistryBlobStore, to reference: ImageReference,
        mountingFrom: String? = nil
    ) async throws -> OCIDescriptor {
        guard let path = try await store.blobPath(digest: manifestDigest),
            let data = FileManager.default.contents(atPath: path)
        else {
            throw RegistryError(.notFound, "cannot push to \(reference): the store has no manifest \(manifestDigest)")
        }
        let mediaType = RegistryManifestContent.mediaType(of: data, contentType: nil)
        let content = RegistryManifestContent(data: data, mediaType: mediaType, digest: ContentDigest.data(data))
        let manifest = try content.imageManifest()
        var blobs: [OCIDescriptor] = []
        for blob in [manifest.config] + manifest.layers where !blobs.contains(where: { $0.digest == blob.digest }) {
            blobs.append(blob)
        }
        try await forEachConcurrently(blobs) { blob in
            try await self.pushBlob(blob, from: store, to: reference, mountingFrom: mountingFrom)
        }
        return try await putManifest(data, mediaType: mediaType, to: reference)
    }

    /// Pushes an OCI image index of `manifests` (each with its platform) to `reference`'s tag: the image of a
    /// function for several architectures under one name. The manifests must be in the repository already
    /// (push each with ``push(manifestDigest:from:to:mountingFrom:)`` to `reference.withDigest(…)`).
    ///
    /// - Returns: the index's descriptor.
    /// - Throws: as ``putManifest(_:mediaType:to:)``; the registry refuses an index whose manifests it
    ///   lacks (`.registry`).
    @discardableResult
    public func pushIndex(
        _ manifests: [OCIDescriptor], to reference: ImageReference, annotations: [String: String]? = nil
    ) async throws -> OCIDescriptor {
        let index = OCIIndex(manifests: manifests, annotations: annotations)
        let data: Data
        do {
            data = try JSONEncoder.manifest.encode(index)
        } catch {
            throw RegistryError(.registry, "cannot encode the index for \(reference)", cause: error)
        }
        return try await putManifest(data, mediaType: OCIMediaType.imageIndex, to: reference)
    }

    /// Stores `data` as a manifest or index of type `mediaType` under `reference`'s tag (or digest).
    ///
    /// - Returns: its descriptor.
    /// - Throws: `RegistryError` with code `.registry` when the registry refuses it, `.digestMismatch` when
    ///   the registry announces another digest for it, `.unauthorized`.
    @discardableResult
    public func putManifest(_ data: Data, mediaType: String, to reference: ImageReference) async throws
        -> OCIDescriptor
    {
        let digest = ContentDigest.data(data)
        if let pinned = reference.digest, reference.tag == nil, pinned != digest {
            throw RegistryError(
                .digestMismatch, "cannot push a manifest with digest \(digest) as \(reference): the digests differ")
        }
        let target = reference.tag ?? digest
        let request = HTTPRequest(
            method: .put, url: url(reference, "manifests/\(target)"), headers: ["Content-Type": mediaType],
            body: .bytes(data))
        let answer: Answer
        do {
            answer = try await send(request, scope: .push(reference))
            try answer.requireSuccess()
        } catch {
            throw registryError("cannot push the manifest \(digest) to \(reference.withTag(target))", error)
        }
        if let announced = answer.headers["Docker-Content-Digest"], ImageReference.isDigest(announced),
            announced != digest
        {
            throw RegistryError(
                .digestMismatch,
                "\(reference.registry) stored the manifest \(digest) for \(reference) as \(announced): a proxy altered it"
            )
        }
        count { $0.manifestsPushed += 1 }
        return OCIDescriptor(mediaType: mediaType, digest: digest, size: Int64(data.count))
    }

    /// Makes the blob `descriptor` of `store` available in `reference`'s repository: nothing when it is
    /// there (`HEAD`), a cross-repository mount from `mountingFrom` when that works, else an upload
    /// (`POST`, then one `PUT` of the whole file, read as it is sent).
    ///
    /// - Returns: which of the three it took.
    /// - Throws: `RegistryError` with code `.notFound` when the store lacks the blob, `.unauthorized`,
    ///   `.registry`.
    @discardableResult
    public func pushBlob(
        _ descriptor: OCIDescriptor, from store: some RegistryBlobStore, to reference: ImageReference,
        mountingFrom: String? = nil
    ) async throws -> RegistryBlobPush {
        let digest = descriptor.digest
        let mountSource = mountingFrom.flatMap { $0 == reference.repository ? nil : $0 }
        let scope = AccessScope.push(reference, mountingFrom: mountSource)
        do {
            let head = try await send(HTTPRequest(method: .head, url: url(reference, "blobs/\(digest)")), scope: scope)
            if head.status == 200 {
                count { $0.blobsAlreadyInRegistry += 1 }
                return .existed
            }
            if head.status != 404 { try head.requireSuccess() }
        } catch {
            throw registryError(
                "cannot ask \(reference.registry) whether \(reference.repository) has blob \(digest)", error)
        }
        guard let path = try await store.blobPath(digest: digest) else {
            throw RegistryError(.notFound, "cannot push blob \(digest) to \(reference): the store does not have it")
        }
        var start = "blobs/uploads/"
        if let mountSource {
            start += "?" + Self.formEncode([("mount", digest), ("from", mountSource)])
        }
        // A failed PUT may end the upload session, so a retry starts a new one (POST, then PUT).
        let outcome: RegistryBlobPush
        do {
            outcome = try await configuration.retry.run { attempt in
                if attempt > 1 { count { $0.retries += 1 } }
                let answer = try await send(
                    HTTPRequest(method: .post, url: url(reference, start)), scope: scope, retry: .never)
                if answer.status == 201, mountSource != nil { return .mounted }
                try answer.requireSuccess()
                guard let value = answer.headers["Location"], !value.isEmpty else {
                    throw RegistryError(
                        .registry,
                        "\(reference.registry) started an upload to \(reference.repository) without a Location")
                }
                let location = absolute(value, registry: reference.registry)
                let put = HTTPRequest(
                    method: .put, url: Self.appendQuery(location, [("digest", digest)]),
                    headers: ["Content-Type": "application/octet-stream"], body: .file(path: path))
                try await send(put, scope: scope, retry: .never).requireSuccess()
                return .uploaded
            }
        } catch {
            throw registryError("cannot upload blob \(digest) (\(descriptor.size) bytes) to \(reference)", error)
        }
        count {
            if outcome == .mounted {
                $0.blobsMounted += 1
            } else {
                $0.blobsUploaded += 1
                $0.bytesUploaded += descriptor.size
            }
        }
        return outcome
    }
}
