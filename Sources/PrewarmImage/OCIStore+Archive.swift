import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

extension OCIStore {
    /// The kinds of image archive `export` writes and `importArchive` reads.
    public enum ArchiveFormat: String, Sendable, CaseIterable {
        /// `docker save` / `docker load`: `manifest.json`, configurations, `<id>/layer.tar`, `repositories`.
        case docker
        /// An OCI image layout: `oci-layout`, `index.json`, `blobs/sha256/…`.
        case oci
    }

    // MARK: - Import

    /// Imports every image of a `docker save`, `podman save` or `skopeo copy` tar (`docker-archive:`
    /// or `oci-archive:`), verifying every blob's digest and every layer against its
    /// configuration's diff ID (a compressed one inflated), and names them as the archive does
    /// (`RepoTags`; `io.containerd.image.name`, else `org.opencontainers.image.ref.name`). A layer
    /// two images share may be stored once and linked (symbolic or hard link) from the other.
    ///
    /// - Returns: the names imported, sorted.
    /// - Throws: `EngineError` with code `.invalidArchive` when the archive is neither kind, is
    ///   truncated, or holds content that does not match its digest (nothing of it is named then).
    public func importArchive(path archive: String) throws -> [String] {
        let reader = try TarReader(path: archive)
        return try withSharedLock {
            defer { try? flushNames() }
            if reader.file("index.json") != nil, reader.file("oci-layout") != nil {
                return try importLayout(reader)
            }
            if reader.file("manifest.json") != nil { return try importDockerSave(reader) }
            throw EngineError(
                .invalidArchive,
                "\(archive) is neither a `docker save` tar (manifest.json) nor an OCI layout tar (oci-layout, index.json)"
            )
        }
    }

    private func importLayout(_ reader: TarReader) throws -> [String] {
        let index = try OCIJSON.decode(
            OCIIndex.self, try reader.data("index.json") ?? Data(), what: "index.json of \(reader.path)")
        for (name, entry) in reader.files where name.hasPrefix("blobs/sha256/") {
            let digest = "sha256:" + name.dropFirst("blobs/sha256/".count)
            guard Layout.isValidDigest(digest) else { continue }
            if isIntact(digest, size: Int64(entry.size)) { continue }
            do {
                try writeBlob(expected: digest) { append in try reader.stream(entry, to: append) }
            } catch let error as EngineError where error.code == .digestMismatch {
                throw EngineError(.invalidArchive, "\(name) in \(reader.path): \(error.text)")
            }
        }
        var named: [(name: String, descriptor: OCIDescriptor)] = []
        for entry in index.manifests {
            guard let name = Self.name(of: entry).map(DockerEngine.normalize) else { continue }
            _ = try reachableBlobs(from: [entry])
            try checkDiffIDs(of: entry, in: reader)
            var descriptor = entry
            descriptor.annotations = nil
            named.append((name, descriptor))
        }
        try setNames(named)
        return named.map(\.name).sorted()
    }

    /// Checks each compressed layer of the manifest `entry` (or of the manifests of the index
    /// `entry`) against its configuration's diff ID, inflating it.
    ///
    /// - Throws: `EngineError` with code `.invalidArchive` when one does not match.
    private func checkDiffIDs(of entry: OCIDescriptor, in reader: TarReader) throws {
        var manifests = [entry]
        if OCIMediaType.isIndex(entry.mediaType) {
            let index = try OCIJSON.decode(
                OCIIndex.self, try requireBlob(entry.digest, of: entry.digest), what: entry.digest)
            manifests = index.manifests.filter { !OCIMediaType.isIndex($0.mediaType) && hasBlob($0.digest) }
        }
        for descriptor in manifests {
            let manifest = try OCIJSON.decode(
                OCIManifest.self, try requireBlob(descriptor.digest, of: descriptor.digest), what: descriptor.digest)
            let config = try OCIJSON.decode(
                OCIImageConfiguration.self, try requireBlob(manifest.config.digest, of: descriptor.digest),
                what: manifest.config.digest)
            let diffIDs = config.rootfs.diffIDs
            guard diffIDs.count == manifest.layers.count else {
                throw EngineError(
                    .invalidArchive,
                    "configuration \(manifest.config.digest) in \(reader.path) lists \(diffIDs.count) layers but its "
                        + "manifest \(manifest.layers.count)")
            }
            for (layer, diffID) in zip(manifest.layers, diffIDs)
            where layer.digest != diffID && layer.mediaType.hasSuffix("gzip") {
                let digest = try GzipDigest.file(try blobPath(layer.digest))
                guard digest == diffID else {
                    throw EngineError(
                        .invalidArchive,
                        "layer \(layer.digest) in \(reader.path) inflates to \(digest), not the diff ID \(diffID) its "
                            + "configuration names")
                }
            }
        }
    }

    private func importDockerSave(_ reader: TarReader) throws -> [String] {
        guard
            let items = try? JSONDecoder().decode(
                [DockerArchiveItem].self, from: try reader.data("manifest.json") ?? Data())
        else {
            throw EngineError(.invalidArchive, "manifest.json of \(reader.path) is not a list of images")
        }
        var named: [(name: String, descriptor: OCIDescriptor)] = []
        for item in items {
            guard let configName = item.config, let layerNames = item.layers,
                let configData = try reader.data(configName)
            else {
                throw EngineError(
                    .invalidArchive, "manifest.json of \(reader.path) names a configuration it does not hold")
            }
            let configDigest = ContentDigest.data(configData)
            if let stated = Self.statedDigest(configName), stated != configDigest {
                throw EngineError(
                    .digestMismatch, "\(configName) in \(reader.path) has digest \(configDigest), not its name's")
            }
            let config = try OCIJSON.decode(
                OCIImageConfiguration.self, configData, what: "\(configName) in \(reader.path)")
            let diffIDs = config.rootfs.diffIDs
            guard diffIDs.count == layerNames.count else {
                throw EngineError(
                    .invalidArchive,
                    "\(configName) in \(reader.path) lists \(diffIDs.count) layers but manifest.json \(layerNames.count)"
                )
            }
            var layers: [OCIDescriptor] = []
            for (layerName, diffID) in zip(layerNames, diffIDs) {
                guard let entry = reader.file(layerName) else {
                    throw EngineError(
                        .invalidArchive, "\(reader.path) lacks layer \(layerName) that manifest.json names")
                }
                let compressed = try (reader.data(layerName, prefix: 2) ?? Data()) == Data([0x1f, 0x8b])
                // An uncompressed layer's digest is its diff ID; a compressed one's is what a
                // `blobs/sha256/<hex>` name states, else unknown until it is hashed (and what it
                // inflates to must be the diff ID).
                let expected =
                    compressed ? (layerName.hasPrefix("blobs/") ? Self.statedDigest(layerName) : nil) : diffID
                let (digest, size): (String, Int64)
                if let expected, isIntact(expected, size: Int64(entry.size)) {
                    (digest, size) = (expected, Int64(entry.size))
                } else {
                    do {
                        (digest, size) = try writeBlob(expected: expected) { append in
                            let inflated = compressed ? try GzipDigest() : nil
                            try reader.stream(entry) { block in
                                try inflated?.update(block)
                                try append(block)
                            }
                            if let inflated, try inflated.finalize() != diffID {
                                throw EngineError(
                                    .invalidArchive,
                                    "layer \(layerName) in \(reader.path) inflates to \(try inflated.finalize()), not "
                                        + "the diff ID \(diffID) that its configuration names")
                            }
                        }
                    } catch let error as EngineError where error.code == .digestMismatch {
                        throw EngineError(.invalidArchive, "layer \(layerName) in \(reader.path): \(error.text)")
                    } catch let error as ArchiveError where error.code == .invalidContent {
                        throw EngineError(.invalidArchive, "layer \(layerName) in \(reader.path): \(error.text)")
                    }
                }
                layers.append(
                    OCIDescriptor(
                        mediaType: compressed ? OCIMediaType.layerGzip : OCIMediaType.layer, digest: digest, size: size
                    ))
            }
            let (storedConfig, configSize) = try writeBlob(configData)
            let manifest = OCIManifest(
                config: OCIDescriptor(mediaType: OCIMediaType.imageConfig, digest: storedConfig, size: configSize),
                layers: layers)
            let (manifestDigest, manifestSize) = try writeBlob(try OCIJSON.encode(manifest))
            let descriptor = OCIDescriptor(
                mediaType: OCIMediaType.imageManifest, digest: manifestDigest, size: manifestSize,
                platform: config.platform)
            for tag in item.repoTags ?? [] { named.append((DockerEngine.normalize(tag), descriptor)) }
        }
        try setNames(named)
        return named.map(\.name).sorted()
    }

    /// The digest a file's name in an archive states: `<hex>.json`, `<hex>/layer.tar`,
    /// `blobs/sha256/<hex>`; `nil` when the name states none.
    static func statedDigest(_ name: String) -> String? {
        for part in name.split(separator: "/").reversed() {
            let hex = part.hasSuffix(".json") ? part.dropLast(5) : part
            if Layout.isValidDigest("sha256:" + hex) { return "sha256:" + hex }
        }
        return nil
    }

    // MARK: - Export

    /// Writes the images `names` to a new archive at `path` (replaced when it exists; written
    /// to a temporary file first): the `docker` form loads with `docker load` or
    /// `POST /images/load`, the `oci` form is an OCI image layout. Every blob is verified
    /// against its digest on the way.
    ///
    /// - Parameter platform: which manifest of a name that holds an index (the `docker` form
    ///   holds one per name); the first when `nil`.
    /// - Throws: `EngineError` with code `.notFound` when a name is not in the store or a
    ///   blob is missing or damaged, `.io` when the archive cannot be written.
    public func export(names: [String], format: ArchiveFormat, to path: String, platform: OCIPlatform? = nil) throws {
        let temporary = path + ".partial-" + UUID().uuidString
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
            let handle = FileHandle(forWritingAtPath: temporary)
        else {
            throw EngineError(.io, "cannot create \(temporary)")
        }
        do {
            defer { try? handle.close() }
            var tar = TarWriter(output: handle)
            switch format {
            case .docker: try writeDockerArchive(names, platform: platform, into: &tar)
            case .oci: try writeLayoutArchive(names, into: &tar)
            }
            try tar.finish()
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = systemErrorMessage()
            try? FileManager.default.removeItem(atPath: temporary)
            throw EngineError(.io, "cannot rename \(temporary) to \(path): \(reason)")
        }
    }

    private func writeDockerArchive(_ names: [String], platform: OCIPlatform?, into tar: inout TarWriter) throws {
        var items: [DockerArchiveItem] = []
        var repositories: [String: [String: String]] = [:]
        var written: Set<String> = []
        for name in names {
            guard let image = try storedImage(named: name, platform: platform) else {
                throw EngineError(
                    .notFound, "no image \(name) in the OCI store at \(path); build or import it first")
            }
            let configHex = String(image.manifest.config.digest.dropFirst("sha256:".count))
            if written.insert(image.manifest.config.digest).inserted {
                try tar.addFile(configHex + ".json", contents: image.configData)
            }
            var layerNames: [String] = []
            for layer in image.manifest.layers {
                let hex = String(layer.digest.dropFirst("sha256:".count))
                if written.insert(layer.digest).inserted {
                    let file = try verifiedLayer(layer, of: name)
                    try tar.addDirectory(hex)
                    try tar.addFile(hex + "/layer.tar", from: file, mode: 0o644)
                }
                layerNames.append(hex + "/layer.tar")
            }
            items.append(DockerArchiveItem(config: configHex + ".json", repoTags: [name], layers: layerNames))
            let (repository, tag) = DockerEngine.splitReference(name)
            if let tag, let top = layerNames.last {
                repositories[repository, default: [:]][tag] = String(top.dropLast("/layer.tar".count))
            }
        }
        try tar.addFile("manifest.json", contents: try OCIJSON.encode(items))
        try tar.addFile("repositories", contents: try OCIJSON.encode(repositories))
    }

    private func writeLayoutArchive(_ names: [String], into tar: inout TarWriter) throws {
        var entries: [OCIDescriptor] = []
        for name in names {
            guard var entry = try descriptor(named: name) else {
                throw EngineError(
                    .notFound, "no image \(name) in the OCI store at \(path); build or import it first")
            }
            entry.annotations = [OCIAnnotation.imageName: name, OCIAnnotation.refName: Self.tag(of: name)]
            entries.append(entry)
        }
        let blobs = try reachableBlobs(from: entries).sorted()
        try tar.addFile("oci-layout", contents: Self.layoutContent)
        try tar.addFile("index.json", contents: try OCIJSON.encode(OCIIndex(manifests: entries)))
        try tar.addDirectory("blobs")
        try tar.addDirectory("blobs/sha256")
        for digest in blobs {
            let file = try verifiedLayer(OCIDescriptor(mediaType: "", digest: digest, size: -1), of: digest)
            try tar.addFile("blobs/sha256/" + digest.dropFirst("sha256:".count), from: file, mode: 0o644)
        }
    }

    /// The file of blob `blob`, after checking its content against its digest.
    private func verifiedLayer(_ blob: OCIDescriptor, of name: String) throws -> String {
        let file = try blobPath(blob.digest)
        guard access(file, F_OK) == 0 else {
            throw EngineError(.corrupt, "image \(name) lacks blob \(blob.digest) in the OCI store at \(path)")
        }
        guard try ContentDigest.file(file) == blob.digest else {
            throw EngineError(
                .corrupt, "blob \(file) does not match its digest; the OCI store is damaged: run verify")
        }
        return file
    }
}

/// One image of a `docker save` archive, an item of its `manifest.json`: the configuration's file, the
/// names, the layers' files (bottom first). Fields a `docker save` adds beyond these are not read.
struct DockerArchiveItem: Codable, Sendable {
    /// `<hex>.json` (or `blobs/sha256/<hex>`); `nil` in a damaged archive.
    var config: String?
    var repoTags: [String]?
    /// `<hex>/layer.tar` (or `blobs/sha256/<hex>`); `nil` in a damaged archive.
    var layers: [String]?

    enum CodingKeys: String, CodingKey {
        case config = "Config"
        case repoTags = "RepoTags"
        case layers = "Layers"
    }
}

extension TarReader {
    /// The first `prefix` bytes of the file `name`.
    func data(_ name: String, prefix: Int) throws -> Data? {
        guard let entry = files[name] else { return nil }
        var head = Data()
        var entryPrefix = entry
        entryPrefix.size = Swift.min(entry.size, UInt64(prefix))
        try stream(entryPrefix) { head.append($0) }
        return head
    }
}
