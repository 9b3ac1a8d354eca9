import Crypto
import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

extension OCIStore {
    /// The `created` time of an image built from an archive alone (no base): fixed, so that the same
    /// content gives the same configuration digest. Images on a base take the base's (`ImageMetadata`).
    static let created = "1970-01-01T00:00:00Z"

    /// Builds `request` (see `build`): the base's manifest and configuration from the store, one
    /// layer with the emulator and one per Lambda layer (each stored once, whatever image it is
    /// in), the configuration with the new diff IDs and the labels, a manifest, and the name.
    /// Writes nothing outside the store; `request.workDirectory` is not used.
    ///
    /// - Throws: `EngineError` with code `.missingBase` when the base is not in the store or is of
    ///   another architecture, `.buildFailed` when it has ONBUILD instructions, and
    ///   `.missingEmulator`, `.notFound`, `.invalidContent` or `.io` when a source cannot be archived.
    public func buildImage(_ request: ImageBuildRequest, output: @Sendable (String) -> Void = { _ in }) throws
        -> EngineImage
    {
        let platform = request.platform
        return try withSharedLock {
            guard let base = try storedImage(named: request.baseImage, platform: platform) else {
                throw missingBase(request.baseImage, platform: platform)
            }
            try requireIntactLayers(base, of: request.baseImage)
            var config = try base.configuration()
            let architecture = config.architecture
            guard architecture == platform.architecture else {
                throw EngineError(
                    .missingBase,
                    "base image \(request.baseImage) in the OCI store at \(path) is \(architecture), not "
                        + "\(platform.architecture) as \(platform) needs; import the \(platform.architecture) image"
                )
            }
            var settings = config.config ?? OCIImageConfiguration.Settings()
            if let triggers = settings.onBuild, !triggers.isEmpty {
                throw EngineError(
                    .buildFailed,
                    "base image \(request.baseImage) has ONBUILD instructions, which the OCI engine cannot run; "
                        + "build \(request.name) with \(EngineInput.dockerEngine)")
            }

            let history = ImageMetadata.addedHistory(lambdaLayers: request.layers.count)
            var rewritten: [String] = []
            var added = [(layer: try emulatorLayer(request.emulator, rewritten: &rewritten), history: history[0])]
            for (number, layer) in request.layers.enumerated() {
                added.append((try directoryLayer(layer, rewritten: &rewritten), history[number + 1]))
            }
            output("\(added.count) layer(s) on \(base.manifest.layers.count) of \(request.baseImage)")

            var labels = settings.labels ?? [:]
            for (key, value) in request.labels { labels[key] = value }
            settings.labels = labels
            config.config = settings
            let baseCreated = ImageMetadata.created(baseCreated: config.created, environment: [:])
            let created = ImageMetadata.created(baseCreated: config.created)
            config.created = created
            // They describe the container the base was built in, not this image.
            for key in ["container", "container_config", "docker_version"] { config.otherFields[key] = nil }
            config.rootfs.type = "layers"
            config.rootfs.diffIDs += added.map(\.layer.digest)
            config.history = ImageMetadata.history(
                baseHistory: config.history ?? [], baseLayerCount: base.manifest.layers.count,
                baseName: request.baseImage, baseCreated: baseCreated, added: added.map(\.history), created: created)
            let configData = try OCIJSON.encode(config)
            let (configDigest, configSize) = try writeBlob(configData)

            let manifest = OCIManifest(
                config: OCIDescriptor(mediaType: OCIMediaType.imageConfig, digest: configDigest, size: configSize),
                layers: base.manifest.layers + added.map(\.layer))
            let descriptor = try addManifest(
                try OCIJSON.encode(manifest), mediaType: OCIMediaType.imageManifest, names: [request.name],
                platform: config.platform)
            output("named \(request.name): \(descriptor.digest)")
            let stored = StoredImage(manifestDescriptor: descriptor, manifest: manifest, configData: configData)
            var image = try engineImage(stored)
            image.rewrittenBlobs = rewritten
            return image
        }
    }

    /// The layer holding the emulator at `var/rapid/aws-lambda-rie` (0755), as the Docker path's.
    func emulatorLayer(_ emulator: ImageBuildRequest.Source, rewritten: inout [String]) throws -> OCIDescriptor {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: emulator.path, isDirectory: &isDirectory), !isDirectory.boolValue
        else {
            throw EngineError(.missingEmulator, "no emulator at \(emulator.path)")
        }
        let digest = try emulator.contentDigest ?? ContentDigest.file(emulator.path)
        return try layerBlob(key: "emulator \(digest)", source: emulator.path, rewritten: &rewritten) { tar in
            try BuildContext.addEmulator(emulator.path, to: &tar)
        }
    }

    /// The layer holding one Lambda layer's files under `opt/`, sorted, as `BuildContext` writes them.
    func directoryLayer(_ layer: ImageBuildRequest.Source, rewritten: inout [String]) throws -> OCIDescriptor {
        let digest = try layer.contentDigest ?? ContentDigest.directory(layer.path)
        return try layerBlob(key: "layer \(digest)", source: layer.path, rewritten: &rewritten) { tar in
            try BuildContext.addLambdaLayer(layer.path, to: &tar)
        }
    }

    /// The blob of the tar that `write` makes, made once per `key` in this process and stored
    /// once: the tar is hashed first, without writing, and written only when the store lacks it
    /// or holds it damaged (then its digest is appended to `rewritten`).
    func layerBlob(
        key: String, source: String, rewritten: inout [String], write: (inout TarWriter) throws -> Void
    ) throws -> OCIDescriptor {
        try layerFlights.with(key) {
            if let known = madeLayers.withLock({ $0[key] }), isIntact(known.digest, size: known.size) {
                return known
            }
            var hasher = SHA256()
            var size: Int64 = 0
            do {
                var tar = TarWriter { data in
                    hasher.update(data: data)
                    size += Int64(data.count)
                }
                try write(&tar)
                try tar.finish()
            }
            let digest = "sha256:" + Hex.string(hasher.finalize())
            if !isIntact(digest, size: size) {
                let damaged = hasBlob(digest)
                do {
                    _ = try blobs.ingest(expected: digest) { ingest in
                        var tar = TarWriter { try ingest.append($0) }
                        try write(&tar)
                        try tar.finish()
                    }
                } catch let error as EngineError where error.code == .digestMismatch {
                    throw EngineError(.digestMismatch, "\(source) changed while it was archived; run the build again")
                }
                if damaged { rewritten.append(digest) }
            }
            let descriptor = OCIDescriptor(mediaType: OCIMediaType.layer, digest: digest, size: size)
            madeLayers.withLock { $0[key] = descriptor }
            return descriptor
        }
    }

}
