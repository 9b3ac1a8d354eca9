import Foundation
import PrewarmArchive
import PrewarmImage
import PrewarmPlan
import PrewarmSupport

/// What a build may do, beyond what the plan says.
public struct BuildOptions: Sendable {
    /// Pull base images from their registry (`--skip-pull-image` turns it off).
    public var pull: Bool
    /// Rebuild every image even when it is up to date (`--force-image-build`).
    public var forceRebuild: Bool
    /// Where an engine writes the archive it sends while it builds (see
    /// `ImageBuildRequest.workDirectory`); a temporary directory.
    public var workDirectory: String
    /// prewarm's version, recorded on every image.
    public var prewarmVersion: String
    /// Base images that come from a local source (the template's `Metadata.Prewarm.BaseImages`) and
    /// are never pulled.
    public var localBases: Set<String> = []
    /// The template's absolute path, recorded on every image (`dev.prewarm.template`) so that
    /// `prewarm gc --engine docker` removes only what this template's builds made.
    public var templatePath: String?
    /// Images the run being resumed built, by node ID: their image IDs. With `forceRebuild`, such an
    /// image is not built again while the engine still holds it under its name with that ID and key.
    public var resumedImages: [String: String] = [:]

    public init(pull: Bool, forceRebuild: Bool, workDirectory: String, prewarmVersion: String) {
        self.pull = pull
        self.forceRebuild = forceRebuild
        self.workDirectory = workDirectory
        self.prewarmVersion = prewarmVersion
    }
}

/// The labels prewarm puts on every image it builds.
public enum ImageLabels {
    /// The build key: what decides the image's content (see `EngineExecutor.buildKey`).
    public static let contentKey = "dev.prewarm.content-key"
    public static let version = "dev.prewarm.version"
    /// The absolute path of the template whose build made the image.
    public static let template = "dev.prewarm.template"
}

/// Does the nodes of a build graph against an `ImageEngine`:
/// - a layer: has its `LayerProvider` make its files available (reading a template layer's
///   directory, or downloading and extracting a layer by ARN) and returns their directory and
///   digest;
/// - a base image: makes it available (pulling only when allowed) and returns its ID;
/// - an image: computes its build key from the plan's key and the digests of its base, its
///   layers and the emulator; when the engine already has the image with that key, does
///   nothing; else hands the engine the base, the emulator and the layer directories, and the
///   engine builds it (writing whatever archive it sends itself).
public struct EngineExecutor: NodeExecutor {
    public let engine: any ImageEngine
    public let emulators: EmulatorLocator
    public let options: BuildOptions
    /// Makes each layer's files available as a directory.
    public let layers: any LayerProvider
    /// Where images are fetched from before building them, and kept after (`--cache-from`/`--cache-to`).
    public let cache: (any BuildCache)?
    /// Receives the engine's build output: node ID, line.
    public let output: @Sendable (String, String) -> Void
    private let emulatorDigests = DigestCache()

    public init(
        engine: any ImageEngine, emulators: EmulatorLocator, options: BuildOptions,
        layers: any LayerProvider = TemplateLayerProvider(), cache: (any BuildCache)? = nil,
        output: @escaping @Sendable (String, String) -> Void = { _, _ in }
    ) {
        self.engine = engine
        self.emulators = emulators
        self.options = options
        self.layers = layers
        self.cache = cache
        self.output = output
    }

    public func execute(_ node: BuildGraph.Node, inputs: [String: WorkResult], attempt: Int) async throws -> WorkResult
    {
        switch node.payload {
        case .layer(let source):
            let layer = try await layers.prepare(source)
            let artifact = NodeArtifact.layer(directory: layer.directory, digest: layer.digest)
            return layer.fetched ? .built(artifact) : .upToDate(artifact)
        case .base(let reference, let architecture):
            let image = try await engine.prepareBase(
                reference, platform: architecture.ociPlatform,
                pull: options.pull && !options.localBases.contains(reference))
            return .upToDate(.base(imageID: image.id))
        case .image(let planned):
            return try await build(planned, node: node, inputs: inputs)
        }
    }

    private func build(_ planned: PlannedImage, node: BuildGraph.Node, inputs: [String: WorkResult]) async throws
        -> WorkResult
    {
        let emulator = try emulators.emulator(for: planned.architecture.rawValue)
        let emulatorDigest = try await emulatorDigests.digest(of: emulator)
        let key = Self.buildKey(planned, inputs: inputs, emulatorDigest: emulatorDigest)
        if !options.forceRebuild || options.resumedImages[node.id] != nil,
            let existing = try await engine.image(named: planned.name),
            existing.labels[ImageLabels.contentKey] == key,
            !options.forceRebuild || options.resumedImages[node.id] == existing.id
        {
            try await cache?.store(key: key, name: planned.name)
            return .upToDate(.image(imageID: existing.id))
        }
        if !options.forceRebuild,
            let cached = try await cache?.fetch(
                key: key, name: planned.name, platform: planned.architecture.ociPlatform)
        {
            output(node.id, "fetched from the build cache")
            return .upToDate(.image(imageID: cached.id))
        }
        var layerSources: [ImageBuildRequest.Source] = []
        for layer in planned.layers {
            guard case .layer(let directory, let digest) = inputs[layer.nodeID]?.artifact else {
                throw ImageError(.notFound, "layer \(layer.name) was not prepared before \(planned.name)")
            }
            layerSources.append(ImageBuildRequest.Source(path: directory, contentDigest: digest))
        }
        let request = ImageBuildRequest(
            name: planned.name, baseImage: planned.baseImage, platform: planned.architecture.ociPlatform,
            emulator: ImageBuildRequest.Source(path: emulator, contentDigest: emulatorDigest), layers: layerSources,
            labels: [ImageLabels.contentKey: key, ImageLabels.version: options.prewarmVersion].merging(
                options.templatePath.map { [ImageLabels.template: $0] } ?? [:], uniquingKeysWith: { $1 }),
            workDirectory: options.workDirectory)
        let nodeID = node.id
        let output = self.output
        let image = try await engine.build(request) { line in output(nodeID, line) }
        await removeStaleRapidImages(besides: planned.name, nodeID: nodeID)
        try await cache?.store(key: key, name: planned.name)
        return .built(.image(imageID: image.id))
    }

    /// Removes rapid images of older SAM CLI versions from the repository of `name`, as SAM CLI
    /// does after a fresh build: tags like `rapid-1.60.0-x86_64` or `3.9-rapid-1.60.0-arm64`.
    /// Tags of the current form (`…rapid-x86_64`, `…rapid-arm64`) are never removed, whatever
    /// built them, so nothing another function or architecture needs is lost. Failures only
    /// show in the build output.
    func removeStaleRapidImages(besides name: String, nodeID: String) async {
        guard let colon = name.firstIndex(of: ":"), name[colon...].contains("rapid-") else { return }
        let repository = String(name[..<colon])
        guard let names = try? await engine.names(inRepository: repository) else { return }
        for candidate in names where candidate != name && Self.isStaleRapidTag(candidate) {
            do {
                try await engine.remove(candidate)
                output(nodeID, "removed stale image \(candidate)")
            } catch {
                output(nodeID, "could not remove stale image \(candidate): \(error)")
            }
        }
    }

    /// Whether `name`'s tag is a rapid tag of an older SAM CLI: it has `rapid-` followed by
    /// something other than just an architecture.
    public static func isStaleRapidTag(_ name: String) -> Bool {
        guard let colon = name.lastIndex(of: ":") else { return false }
        let tag = name[name.index(after: colon)...]
        guard let rapid = tag.range(of: "rapid-", options: .backwards) else { return false }
        guard rapid.lowerBound == tag.startIndex || tag[tag.index(before: rapid.lowerBound)] == "-" else {
            return false
        }
        let rest = tag[rapid.upperBound...]
        return rest != "x86_64" && rest != "arm64"
    }

    /// The key that decides whether an image must be built again: the plan's content key
    /// (base reference, platform, layer sources in order) and the digests of the base image
    /// (the result of `planned.baseNodeID`), each layer's content and the emulator. A need
    /// missing from `inputs` counts as `-`.
    public static func buildKey(_ planned: PlannedImage, inputs: [String: WorkResult], emulatorDigest: String) -> String
    {
        func digest(_ id: String) -> String {
            inputs[id]?.artifact.digest ?? "-"
        }
        var lines = ["prewarm-build-key/1", planned.contentKey, "emulator \(emulatorDigest)"]
        lines.append("base \(digest(planned.baseNodeID))")
        for layer in planned.layers { lines.append("layer \(digest(layer.nodeID))") }
        return ContentDigest.text(lines.joined(separator: "\n"))
    }
}

/// Digests of emulator files, computed once per file for the whole run.
actor DigestCache {
    private var digests: [String: String] = [:]

    func digest(of path: String) throws -> String {
        if let digest = digests[path] { return digest }
        let digest = try ContentDigest.file(path)
        digests[path] = digest
        return digest
    }
}
