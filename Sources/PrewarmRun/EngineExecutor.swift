import Foundation
import PrewarmArchive
import PrewarmImage
import PrewarmOCI
import PrewarmPlan
import PrewarmSupport

/// What a build may do, beyond what the plan says.
package struct BuildOptions: Sendable {
    /// Pull base images from their registry (`--skip-pull-image` turns it off).
    package var pull: Bool
    /// Rebuild every image even when it is up to date (`--force-image-build`).
    package var forceRebuild: Bool
    /// Where an engine writes the archive it sends while it builds (see
    /// `ImageBuildRequest.workDirectory`); a temporary directory.
    package var workDirectory: String
    /// prewarm's version, recorded on every image.
    package var prewarmVersion: String
    /// Base images that come from a local source (the template's `Metadata.Prewarm.BaseImages`) and
    /// are never pulled.
    package var localBases: Set<String> = []
    /// Whether the template brings its own base images (`Metadata.Prewarm.BaseImages`), which may be
    /// stand-ins (``StandIn``); without it, a stand-in base is an error, never built on.
    package var templateBringsBases = false
    /// Whether the emulator is a stand-in (its directory holds ``StandIn/emulatorMarker``): every image built
    /// with it is labelled ``StandIn/label``, so that `prewarm gc --stand-ins` finds it.
    package var standInEmulator = false
    /// The template's absolute path, recorded on every image (`dev.prewarm.template`) so that
    /// `prewarm gc --engine docker` removes only what this template's builds made.
    package var templatePath: String?
    /// Images the run being resumed built, by node ID: their image IDs. With `forceRebuild`, such an
    /// image is not built again while the engine still holds it under its name with that ID and key.
    package var resumedImages: [NodeID: String] = [:]

    package init(pull: Bool, forceRebuild: Bool, workDirectory: String, prewarmVersion: String) {
        self.pull = pull
        self.forceRebuild = forceRebuild
        self.workDirectory = workDirectory
        self.prewarmVersion = prewarmVersion
    }
}

/// The labels prewarm puts on every image it builds.
package enum ImageLabels {
    /// The build key: what decides the image's content (see `EngineExecutor.buildKey`).
    package static let contentKey = "dev.prewarm.content-key"
    package static let version = "dev.prewarm.version"
    /// The absolute path of the template whose build made the image.
    package static let template = "dev.prewarm.template"
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
package struct EngineExecutor: NodeExecutor {
    package let engine: any ImageEngine
    package let emulators: EmulatorLocator
    package let options: BuildOptions
    /// Makes each layer's files available as a directory.
    package let layers: any LayerProvider
    /// Where images are fetched from before building them, and kept after (`--cache-from`/`--cache-to`).
    package let cache: (any BuildCache)?
    /// Receives the engine's build output: node ID, line.
    package let output: @Sendable (NodeID, String) -> Void
    /// Told of each blob of the engine's store that a node's build found damaged and wrote again: node ID,
    /// blob digest (see `EngineImage.rewrittenBlobs`).
    package let rewroteBlob: @Sendable (NodeID, String) -> Void
    /// Receives what the reader must know although the node succeeded: node ID, one line (a base whose pull
    /// failed, used as the engine has it).
    package let warning: @Sendable (NodeID, Message) -> Void
    private let emulatorDigests = DigestCache()

    package init(
        engine: any ImageEngine, emulators: EmulatorLocator, options: BuildOptions,
        layers: any LayerProvider = TemplateLayerProvider(), cache: (any BuildCache)? = nil,
        output: @escaping @Sendable (NodeID, String) -> Void = { _, _ in },
        rewroteBlob: @escaping @Sendable (NodeID, String) -> Void = { _, _ in },
        warning: @escaping @Sendable (NodeID, Message) -> Void = { _, _ in }
    ) {
        self.engine = engine
        self.emulators = emulators
        self.options = options
        self.layers = layers
        self.cache = cache
        self.output = output
        self.rewroteBlob = rewroteBlob
        self.warning = warning
    }

    package func execute(_ node: BuildGraph.Node, inputs: [NodeID: WorkResult], attempt: Int) async throws -> WorkResult
    {
        switch node.payload {
        case .layer(let source):
            let layer = try await layers.prepare(source)
            let artifact = NodeArtifact.layer(directory: layer.directory, digest: layer.digest)
            return layer.fetched ? .built(artifact) : .upToDate(artifact)
        case .base(let reference, let architecture):
            let image = try await prepareBase(reference, platform: architecture.ociPlatform, nodeID: node.id)
            if image.isStandIn, !options.templateBringsBases {
                throw Self.standInBase(reference, engine: engine)
            }
            return .upToDate(.base(imageID: image.id))
        case .image(let planned):
            return try await build(planned, node: node, inputs: inputs)
        }
    }

    /// The base `reference`, pulled when pulls are allowed. When the pull fails and the engine already holds
    /// the base for `platform`, that copy is used, with one warning saying so (prewarm's own choice: SAM's
    /// container start does the same with a base it cannot pull); a stand-in is never taken instead.
    ///
    /// - Throws: the pull's error when the engine has no usable copy either; what `prepareBase` throws
    ///   without a pull.
    private func prepareBase(_ reference: String, platform: OCIPlatform, nodeID: NodeID) async throws -> EngineImage {
        let pull = options.pull && !options.localBases.contains(reference)
        do {
            return try await engine.prepareBase(reference, platform: platform, pull: pull)
        } catch let pullError where pull && !(pullError is CancellationError) && !Task.isCancelled {
            guard let local = try? await engine.prepareBase(reference, platform: platform, pull: false) else {
                throw pullError
            }
            warning(
                nodeID,
                "the pull of \(reference) failed, so the engine's own copy (\(local.id)) is used: "
                    + "\(Message(describing: pullError))")
            return local
        }
    }

    private func build(_ planned: PlannedImage, node: BuildGraph.Node, inputs: [NodeID: WorkResult]) async throws
        -> WorkResult
    {
        let emulator = try emulators.emulator(for: planned.architecture.rawValue)
        if planned.samBuildsOnEveryInvoke, engine.buildsAsSAM {
            return try await buildAsSAM(planned, emulator: emulator, nodeID: node.id)
        }
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
        // SAM CLI builds an image with a layer defined in the template on every invoke, and tags its own
        // result with this name. Building it again only because of that would make the two overwrite each
        // other forever: SAM's image is kept (`prewarm build --for-sam` is the way to have SAM build none).
        if !options.forceRebuild,
            planned.layers.contains(where: { if case .local = $0.source { true } else { false } }),
            let existing = try await engine.image(named: planned.name), existing.labels[ImageLabels.contentKey] == nil
        {
            output(
                node.id,
                "kept \(planned.name): sam local built it itself (it does on every invoke of a function with a template layer)"
            )
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
                throw EngineError(.notFound, "layer \(layer.name) was not prepared before \(planned.name)")
            }
            layerSources.append(ImageBuildRequest.Source(path: directory, contentDigest: digest))
        }
        let request = ImageBuildRequest(
            name: planned.name, baseImage: planned.baseImage, platform: planned.architecture.ociPlatform,
            emulator: ImageBuildRequest.Source(path: emulator, contentDigest: emulatorDigest), layers: layerSources,
            labels: [ImageLabels.contentKey: key, ImageLabels.version: options.prewarmVersion]
                .merging(options.templatePath.map { [ImageLabels.template: $0] } ?? [:], uniquingKeysWith: { $1 })
                .merging(options.standInEmulator ? [StandIn.label: "emulator"] : [:], uniquingKeysWith: { $1 }),
            workDirectory: options.workDirectory)
        let nodeID = node.id
        let output = self.output
        let image = try await holdingSAMBuildLock(for: planned.name) {
            try await engine.build(request) { line in output(nodeID, line) }
        }
        for blob in image.rewrittenBlobs { rewroteBlob(nodeID, blob) }
        await removeStaleRapidImages(besides: planned.name, nodeID: nodeID)
        try await cache?.store(key: key, name: planned.name)
        return .built(.image(imageID: image.id))
    }

    /// An image SAM CLI builds on every invoke (an Image function): built with SAM's own Dockerfile and
    /// context, so that each of SAM's builds is a cache hit of the classic builder. Nothing is skipped
    /// here: when the builder has every step, this build is itself a cache hit, and SAM re-tags the name
    /// to an image of the same ID.
    private func buildAsSAM(_ planned: PlannedImage, emulator: String, nodeID: NodeID) async throws -> WorkResult {
        let request = SAMImageBuildRequest(
            name: planned.name, baseImage: planned.baseImage,
            emulatorDirectory: (emulator as NSString).deletingLastPathComponent,
            architecture: planned.architecture.rawValue, platform: planned.architecture.ociPlatform,
            workDirectory: options.workDirectory)
        let output = self.output
        let before = try await engine.image(named: planned.name)
        let image = try await holdingSAMBuildLock(for: planned.name) {
            try await engine.buildAsSAM(request) { line in output(nodeID, line) }
        }
        return before?.id == image.id ? .upToDate(.image(imageID: image.id)) : .built(.image(imageID: image.id))
    }

    /// Runs `body` holding SAM's own lock for `name` when the engine is where `sam local` builds too
    /// (``ImageEngine/sharesImagesWithSAM``): a `sam local` started meanwhile waits for this build instead of
    /// building the name itself. With any other engine, there is no race, and no lock.
    private func holdingSAMBuildLock(for name: String, _ body: () async throws -> EngineImage) async throws
        -> EngineImage
    {
        guard engine.sharesImagesWithSAM else { return try await body() }
        return try await SAMBuildLock(name: name).holding(body)
    }

    /// Removes rapid images of older SAM CLI versions from the repository of `name`, as SAM CLI
    /// does after a fresh build: tags like `rapid-1.60.0-x86_64` or `3.9-rapid-1.60.0-arm64`.
    /// Tags of the current form (`…rapid-x86_64`, `…rapid-arm64`) are never removed, whatever
    /// built them, so nothing another function or architecture needs is lost. Failures only
    /// show in the build output.
    func removeStaleRapidImages(besides name: String, nodeID: NodeID) async {
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

    /// The error of a base found under its real name in `engine` that is a stand-in (``StandIn``) which this
    /// build's template does not supply: never built on, and how to remove it.
    package static func standInBase(_ reference: String, engine: any ImageEngine) -> EngineError {
        let removal = engine.standInCleanup
        return EngineError(
            .missingBase,
            "base image \(reference) in \(engine.description) is a stand-in (no runtime; it cannot run a "
                + "handler), such as the quickstart's, which earlier versions of prewarm left under the real name; "
                + "remove it with \(removal), then build again")
    }

    /// Whether `name`'s tag is a rapid tag of an older SAM CLI: it has `rapid-` followed by
    /// something other than just an architecture.
    package static func isStaleRapidTag(_ name: String) -> Bool {
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
    package static func buildKey(_ planned: PlannedImage, inputs: [NodeID: WorkResult], emulatorDigest: String)
        -> String
    {
        func digest(_ id: NodeID) -> String {
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
