import Crypto
import Foundation
import PrewarmArchive
import PrewarmHTTP
import PrewarmOCI
import PrewarmSupport

// Building: the base checked first, then prewarm's layers loaded (Docker) or a Dockerfile context built (Podman).
extension DockerEngine {
    /// Checks the base (it must be in the engine, of the request's architecture: the classic
    /// builder would quietly build on another), then loads the image's new layers (Docker) or
    /// builds a Dockerfile context (Podman, and Docker for a base with `ONBUILD` steps), writing
    /// what it sends under `request.workDirectory` and removing it.
    public func build(_ request: ImageBuildRequest, output: @escaping @Sendable (String) -> Void) async throws
        -> EngineImage
    {
        let base = try await inspectBase(of: request)
        let triggers = (base["Config"] as? [String: Any])?["OnBuild"] as? [Any] ?? []
        let form = buildForm
        if form == .layer, triggers.isEmpty {
            return try await load(request, base: base, output: output)
        }
        // A base with ONBUILD instructions must be built on, or they would not run.
        let archive = URL(fileURLWithPath: request.workDirectory)
            .appendingPathComponent("\(form == .layer ? "layer" : "context")-\(UUID().uuidString).tar").path
        defer { try? FileManager.default.removeItem(atPath: archive) }
        try BuildContext(
            baseImage: request.baseImage, emulator: request.emulator.path, layers: request.layers.map(\.path)
        ).write(to: archive, as: form)
        switch form {
        case .layer: return try await buildOnLayer(request, layer: archive, output: output)
        case .dockerfileContext: return try await buildContext(request, context: archive, output: output)
        }
    }

    /// The engine's description of the request's base (`GET /images/NAME/json`).
    ///
    /// - Throws: `EngineError` with code `.missingBase` when the engine has no such image, or has
    ///   it for another architecture than `request.platform`'s; `.engine` when the engine fails.
    func inspectBase(of request: ImageBuildRequest) async throws -> [String: Any] {
        let reference = request.baseImage
        let inspected = try await send(
            HTTPRequest(url: url("/images/\(Self.escapePath(reference))/json")), doing: "inspect \(reference)")
        if inspected.status == 404 {
            throw EngineError(
                .missingBase, "base image \(reference) is not in the engine; make it available before building")
        }
        guard inspected.isSuccess else { throw engineError(inspected, doing: "inspect base image \(reference)") }
        guard let base = (try? JSONSerialization.jsonObject(with: inspected.body)) as? [String: Any] else {
            throw EngineError(
                .engine, "the engine's description of base image \(reference) is not the JSON of an image")
        }
        let architecture = base["Architecture"] as? String ?? ""
        guard architecture == request.platform.architecture else {
            throw EngineError(
                .missingBase,
                "base image \(reference) is \(architecture), not \(request.platform.architecture) as "
                    + "\(request.platform) needs")
        }
        return base
    }

    /// `POST /build` of the Dockerfile context at `context`, with pulls off: the base node made
    /// the base available.
    func buildContext(
        _ request: ImageBuildRequest, context: String, output: @escaping @Sendable (String) -> Void
    ) async throws -> EngineImage {
        let labels =
            (try? JSONSerialization.data(withJSONObject: request.labels, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let query = [
            "t=\(Self.escape(request.name))", "platform=\(Self.escape(request.platform.description))",
            "labels=\(Self.escape(labels))", "pull=0", "rm=1", "forcerm=1",
        ].joined(separator: "&")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-tar")
        let response = try await stream(
            HTTPRequest(
                method: .post, url: url("/build?\(query)"), headers: headers, body: .file(path: context)),
            doing: "build \(request.name)")
        if let failure = try await Self.drain(response.body, output: output) {
            throw EngineError(.buildFailed, "building \(request.name) failed in the engine: \(failure)")
        }
        guard let image = try await image(named: request.name) else {
            throw EngineError(
                .buildFailed, "the engine reported building \(request.name) but has no image of that name")
        }
        return image
    }

    /// Makes `request.name` the base image (described by `base`) plus one layer with the emulator
    /// and one per Lambda layer, the OCI store's layers, through `POST /images/load` of an archive
    /// holding a manifest that lists every layer, the image configuration (the base's, with the new
    /// diff IDs, history and labels), and only the layers the engine lacks: dockerd reads no layer
    /// whose chain it has, so the base's layers are never sent, and a layer that several images share
    /// (the emulator, a common first Lambda layer) is sent and unpacked once (see `LayerChains`).
    func load(_ request: ImageBuildRequest, base: [String: Any], output: @escaping @Sendable (String) -> Void)
        async throws -> EngineImage
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: request.emulator.path, isDirectory: &isDirectory),
            !isDirectory.boolValue
        else {
            throw EngineError(.missingEmulator, "no emulator at \(request.emulator.path)")
        }
        var keys = ["emulator " + (try request.emulator.contentDigest ?? ContentDigest.file(request.emulator.path))]
        for layer in request.layers {
            keys.append("layer " + (try layer.contentDigest ?? ContentDigest.directory(layer.path)))
        }
        let baseID = base["Id"] as? String ?? request.baseImage
        let chains = keys.indices.map { ([baseID] + keys[...$0]).joined(separator: "\n") }
        let known = await layerChains.claim(chains)
        var claimed = chains[known...]
        do {
            // A build interrupted while it waited for another's load sends nothing.
            try Task.checkCancellation()
            var loaded: (image: EngineImage, diffIDs: [String: String])
            do {
                let omitted = await layerChains.diffIDs(of: keys.prefix(known))
                loaded = try await loadArchive(request, base: base, keys: keys, omitting: omitted, output: output)
            } catch let error as EngineError where known > 0 && error.code == .buildFailed {
                // A layer loaded earlier in this process may be gone from the engine with its images:
                // once more, with every layer.
                output("loading again with every layer: \(error.message)")
                claimed = chains[...]
                loaded = try await loadArchive(request, base: base, keys: keys, omitting: [], output: output)
            }
            await layerChains.finish(claimed, loaded: true, diffIDs: loaded.diffIDs)
            return loaded.image
        } catch {
            await layerChains.finish(claimed, loaded: false, diffIDs: [:])
            throw error
        }
    }

    /// Writes and loads the archive of `load(_:base:output:)`, leaving out the first `omitting.count` new
    /// layers (whose diff IDs those are), and returns the image and the diff IDs of the new layers by key.
    private func loadArchive(
        _ request: ImageBuildRequest, base: [String: Any], keys: [String], omitting: [String],
        output: @escaping @Sendable (String) -> Void
    ) async throws -> (image: EngineImage, diffIDs: [String: String]) {
        guard let baseDiffIDs = (base["RootFS"] as? [String: Any])?["Layers"] as? [String] else {
            throw EngineError(.missingBase, "the engine's description of base image \(request.baseImage) has no layers")
        }
        let work = URL(fileURLWithPath: request.workDirectory)
        let stem = work.appendingPathComponent("image-\(UUID().uuidString)").path
        var written: [String] = []
        defer { for path in written { try? FileManager.default.removeItem(atPath: path) } }
        var diffIDs = omitting
        for index in keys.indices.dropFirst(omitting.count) {
            let path = "\(stem)-layer\(index).tar"
            written.append(path)
            diffIDs.append(try Self.writeLayer(index, of: request, to: path))
        }

        var config = base["Config"] as? [String: Any] ?? [:]
        var labels = config["Labels"] as? [String: Any] ?? [:]
        for (key, value) in request.labels { labels[key] = value }
        config["Labels"] = labels
        // A sensible age and a history entry per layer, the same for the same inputs (see ImageMetadata).
        let baseCreated = ImageMetadata.created(baseCreated: base["Created"] as? String, environment: [:])
        let created = ImageMetadata.created(baseCreated: base["Created"] as? String)
        let history = ImageMetadata.history(
            baseHistory: try await baseHistory(request.baseImage), baseLayerCount: baseDiffIDs.count,
            baseName: request.baseImage, baseCreated: baseCreated,
            added: ImageMetadata.addedHistory(lambdaLayers: request.layers.count), created: created)
        var image: [String: Any] = [
            "architecture": base["Architecture"] as? String ?? "", "os": base["Os"] as? String ?? "linux",
            "created": created, "config": config, "history": history.map(\.jsonObject),
            "rootfs": ["type": "layers", "diff_ids": baseDiffIDs + diffIDs],
        ]
        if let variant = base["Variant"] as? String, !variant.isEmpty { image["variant"] = variant }
        let configData = try JSONSerialization.data(withJSONObject: image, options: [.sortedKeys])
        let configName = String(ContentDigest.data(configData).dropFirst("sha256:".count)) + ".json"
        let layers = baseDiffIDs.indices.map { "base\($0)/layer.tar" } + keys.indices.map { "prewarm\($0)/layer.tar" }
        let manifest = try JSONSerialization.data(
            withJSONObject: [["Config": configName, "RepoTags": [request.name], "Layers": layers]],
            options: [.sortedKeys])

        let archivePath = stem + ".tar"
        written.append(archivePath)
        guard FileManager.default.createFile(atPath: archivePath, contents: nil),
            let handle = FileHandle(forWritingAtPath: archivePath)
        else {
            throw EngineError(.io, "cannot create \(archivePath)")
        }
        do {
            defer { try? handle.close() }
            var tar = TarWriter(output: handle)
            try tar.addFile("manifest.json", contents: manifest)
            try tar.addFile(configName, contents: configData)
            for index in keys.indices.dropFirst(omitting.count) {
                try tar.addDirectory("prewarm\(index)")
                try tar.addFile("prewarm\(index)/layer.tar", from: "\(stem)-layer\(index).tar", mode: 0o644)
            }
            try tar.finish()
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-tar")
        let sent = keys.count - omitting.count
        output(
            "\(keys.count) layer(s) on \(baseDiffIDs.count) of \(request.baseImage); \(sent) sent"
                + (sent < keys.count ? ", \(omitting.count) already loaded for another image" : ""))
        let response = try await stream(
            HTTPRequest(
                method: .post, url: url("/images/load?quiet=1"), headers: headers, body: .file(path: archivePath)),
            doing: "load \(request.name)")
        if let failure = try await Self.drain(response.body, output: output) {
            throw EngineError(.buildFailed, "loading \(request.name) into the engine failed: \(failure)")
        }
        guard let built = try await self.image(named: request.name) else {
            throw EngineError(.buildFailed, "the engine loaded \(request.name) but has no image of that name")
        }
        return (built, Dictionary(zip(keys, diffIDs), uniquingKeysWith: { first, _ in first }))
    }

    /// Writes new layer `index` of `request` (0: the emulator's, then one per Lambda layer) as a tar at
    /// `path`, and returns its diff ID, hashed as it is written.
    static func writeLayer(_ index: Int, of request: ImageBuildRequest, to path: String) throws -> String {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw EngineError(.io, "cannot create \(path)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var tar = TarWriter { data in
            hasher.update(data: data)
            try handle.write(contentsOf: data)
        }
        if index == 0 {
            try BuildContext.addEmulator(request.emulator.path, to: &tar)
        } else {
            try BuildContext.addLambdaLayer(request.layers[index - 1].path, to: &tar)
        }
        try tar.finish()
        return "sha256:" + Hex.string(hasher.finalize())
    }

    /// Loads the image archive at `archivePath` (the `docker save` form, e.g. from
    /// `OCIStore.export`) with `POST /images/load`.
    ///
    /// - Throws: `EngineError` with code `.buildFailed` carrying the engine's message when the
    ///   load fails (even when the engine answered 200 and reported the error in its stream).
    public func load(archivePath: String, output: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-tar")
        let response = try await stream(
            HTTPRequest(
                method: .post, url: url("/images/load?quiet=1"), headers: headers, body: .file(path: archivePath)),
            doing: "load \(archivePath)")
        if let failure = try await Self.drain(response.body, output: output) {
            throw EngineError(.buildFailed, "loading \(archivePath) into \(endpoint) failed: \(failure)")
        }
    }

    /// Builds `FROM base` + `ADD layer.tar /` (which unpacks the layer at `layer`) with the
    /// classic `POST /build`: for bases whose ONBUILD instructions must run.
    func buildOnLayer(
        _ request: ImageBuildRequest, layer: String, output: @escaping @Sendable (String) -> Void
    ) async throws -> EngineImage {
        let contextPath = layer + ".context.tar"
        defer { try? FileManager.default.removeItem(atPath: contextPath) }
        guard FileManager.default.createFile(atPath: contextPath, contents: nil),
            let handle = FileHandle(forWritingAtPath: contextPath)
        else {
            throw EngineError(.io, "cannot create \(contextPath)")
        }
        do {
            defer { try? handle.close() }
            var tar = TarWriter(output: handle)
            try tar.addFile("Dockerfile", contents: Data("FROM \(request.baseImage)\nADD layer.tar /\n".utf8))
            try tar.addFile("layer.tar", from: layer, mode: 0o644)
            try tar.finish()
        }
        return try await buildContext(request, context: contextPath, output: output)
    }

    public func remove(_ name: String) async throws {
        let response = try await send(
            HTTPRequest(method: .delete, url: url("/images/\(Self.escapePath(name))?noprune=0")),
            doing: "remove \(name)")
        guard response.isSuccess || response.status == 404 else { throw engineError(response, doing: "remove \(name)") }
    }

    public func names(inRepository repository: String) async throws -> [String] {
        let filters = "{\"reference\":[\"\(repository)\"]}"
        let response = try await send(
            HTTPRequest(url: url("/images/json?filters=\(Self.escape(filters))")), doing: "list \(repository)")
        guard response.isSuccess else { throw engineError(response, doing: "list images of \(repository)") }
        let images = (try? JSONSerialization.jsonObject(with: response.body)) as? [[String: Any]] ?? []
        return images.flatMap { ($0["RepoTags"] as? [String] ?? []).map(Self.normalize) }
            .filter { $0.hasPrefix(repository + ":") }
    }
}
