import Crypto
import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

// Images: manifests and configurations read back from the store, verified against their digests.
extension OCIStore {
    /// An image in the store: its manifest and its configuration.
    public struct StoredImage: Sendable {
        public var manifestDescriptor: OCIDescriptor
        public var manifest: OCIManifest
        /// The configuration's JSON, as stored.
        public var configData: Data

        /// The configuration, read.
        ///
        /// - Throws: `EngineError` with code `.invalidDocument` when it is not an image configuration.
        public func configuration() throws -> OCIImageConfiguration {
            try OCIJSON.decode(OCIImageConfiguration.self, configData, what: "configuration \(manifest.config.digest)")
        }
    }

    /// The image named `name`, for `platform` when the name holds an index.
    ///
    /// - Returns: `nil` when no image has that name, or its index has no manifest for `platform`.
    /// - Throws: `EngineError` with code `.corrupt` when a manifest or configuration is
    ///   missing or does not match its digest.
    public func storedImage(named name: String, platform: OCIPlatform? = nil) throws -> StoredImage? {
        guard let entry = try descriptor(named: name) else { return nil }
        return try storedImage(entry, platform: platform, name: name)
    }

    func storedImage(_ entry: OCIDescriptor, platform: OCIPlatform?, name: String) throws -> StoredImage? {
        var descriptor = entry
        var data = try requireBlob(descriptor.digest, of: name)
        if OCIMediaType.isIndex(descriptor.mediaType) {
            let index = try OCIJSON.decode(OCIIndex.self, data, what: "the index of \(name)")
            let candidates = index.manifests.filter { !OCIMediaType.isIndex($0.mediaType) }
            let chosen =
                platform.map { wanted in candidates.first { Self.matches($0.platform, wanted) } }
                ?? candidates.first { $0.platform?.architecture != "unknown" }
            guard let chosen else { return nil }
            descriptor = chosen
            data = try requireBlob(chosen.digest, of: name)
        }
        let manifest = try OCIJSON.decode(OCIManifest.self, data, what: "the manifest of \(name)")
        let config = try requireBlob(manifest.config.digest, of: name)
        return StoredImage(manifestDescriptor: descriptor, manifest: manifest, configData: config)
    }

    static func matches(_ platform: OCIPlatform?, _ wanted: OCIPlatform) -> Bool {
        guard let platform else { return false }
        guard platform.os == wanted.os, platform.architecture == wanted.architecture else { return false }
        return wanted.variant == nil || platform.variant == nil || platform.variant == wanted.variant
    }

    func requireBlob(_ digest: String, of name: String) throws -> Data {
        guard let data = try readBlob(digest) else {
            throw EngineError(
                .corrupt,
                "image \(name) in the OCI store at \(path) lacks blob \(digest); import or build it again")
        }
        return data
    }

    func engineImage(_ image: StoredImage) throws -> EngineImage {
        let config = try image.configuration()
        let digest = image.manifestDescriptor.digest
        let names = try withNames { $0.names(of: digest) }
        return EngineImage(
            id: image.manifest.config.digest, names: names, labels: config.config?.labels ?? [:],
            architecture: config.architecture, diffIDs: config.rootfs.diffIDs)
    }

    // MARK: - Integrity of images

    /// The first layer (or the configuration) of `image` that is missing or damaged, or `nil`.
    func damagedBlob(of image: StoredImage) -> OCIDescriptor? {
        image.manifest.layers.first { !isIntact($0.digest, size: $0.size) }
    }

    /// The image named `name`, but only when every blob it needs is intact: its manifest and
    /// configuration (hashed as they are read), every layer (see `isIntact`).
    ///
    /// - Returns: `nil` when no image has that name, or when one of its layers is missing or
    ///   damaged (a build makes it again, rewriting the layers it makes).
    /// - Throws: `EngineError` with code `.corrupt` when `index.json` is lost or damaged, or when
    ///   the image's manifest or configuration is missing or damaged: then the damaged blob and
    ///   the name are removed, so that the next build makes the image again.
    public func intactImage(named name: String, platform: OCIPlatform? = nil) throws -> StoredImage? {
        guard let entry = try descriptor(named: name) else { return nil }
        let image: StoredImage?
        do {
            image = try storedImage(entry, platform: platform, name: name)
        } catch let error as EngineError where error.code == .corrupt || error.code == .invalidDocument {
            throw try forgetDamaged(name, entry: entry, error.message)
        } catch let error as RegistryError where error.code == .invalidDocument {
            throw try forgetDamaged(name, entry: entry, error.message)
        }
        guard let image, damagedBlob(of: image) == nil else { return nil }
        return image
    }

    /// Removes `name`, whose image is damaged (`reason`), so that the next build makes it again.
    ///
    /// - Returns: the `.corrupt` error to throw, saying so.
    private func forgetDamaged(_ name: String, entry: OCIDescriptor, _ reason: String) throws -> EngineError {
        try updateNames { table in
            table.entry(named: name) == entry ? [NameChange(name: name, entry: nil)] : []
        }
        return EngineError(
            .corrupt, "\(reason); the name \(name) was removed, so the next build makes the image again")
    }

    /// Throws unless every layer of the base `image` is intact.
    ///
    /// - Throws: `EngineError` with code `.corrupt`, saying which layer and what to do.
    func requireIntactLayers(_ image: StoredImage, of name: String) throws {
        guard let layer = damagedBlob(of: image) else { return }
        throw EngineError(
            .corrupt,
            "the local copy of base image \(name) in the OCI store at \(path) is damaged (its layer \(layer.digest) is "
                + "missing or does not hash to its name); bring it back with `prewarm import FILE` (a `docker save` or "
                + "OCI layout tar of it) or a pull")
    }
}
