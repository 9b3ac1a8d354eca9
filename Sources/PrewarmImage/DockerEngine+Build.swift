import Foundation
import PrewarmArchive
import PrewarmHTTP
import PrewarmOCI
import PrewarmSupport

// Building: the base checked first, then prewarm's layer loaded (Docker) or a Dockerfile context built (Podman).
extension DockerEngine {
    /// Checks the base (it must be in the engine, of the request's architecture: the classic
    /// builder would quietly build on another), writes the request's sources as one archive
    /// (the bare layer, or a Dockerfile context, as `buildForm` says) under
    /// `request.workDirectory`, sends it, and removes it.
    public func build(_ request: ImageBuildRequest, output: @escaping @Sendable (String) -> Void) async throws
        -> EngineImage
    {
        let base = try await inspectBase(of: request)
        let form = buildForm
        let archive = URL(fileURLWithPath: request.workDirectory)
            .appendingPathComponent("\(form == .layer ? "layer" : "context")-\(UUID().uuidString).tar").path
        defer { try? FileManager.default.removeItem(atPath: archive) }
        try BuildContext(
            baseImage: request.baseImage, emulator: request.emulator.path, layers: request.layers.map(\.path)
        ).write(to: archive, as: form)
        switch form {
        case .layer: return try await load(request, base: base, layer: archive, output: output)
        case .dockerfileContext: return try await buildContext(request, context: archive, output: output)
        }
    }

    /// The engine's description of the request's base (`GET /images/NAME/json`).
    ///
    /// - Throws: `ImageError` with code `.missingBase` when the engine has no such image, or has
    ///   it for another architecture than `request.platform`'s; `.engine` when the engine fails.
    func inspectBase(of request: ImageBuildRequest) async throws -> [String: Any] {
        let reference = request.baseImage
        let inspected = try await send(
            HTTPRequest(url: url("/images/\(Self.escapePath(reference))/json")), doing: "inspect \(reference)")
        if inspected.status == 404 {
            throw ImageError(
                .missingBase, "base image \(reference) is not in the engine; make it available before building")
        }
        guard inspected.isSuccess else { throw engineError(inspected, doing: "inspect base image \(reference)") }
        guard let base = (try? JSONSerialization.jsonObject(with: inspected.body)) as? [String: Any] else {
            throw ImageError(.engine, "the engine's description of base image \(reference) is not the JSON of an image")
        }
        let architecture = base["Architecture"] as? String ?? ""
        guard architecture == request.platform.architecture else {
            throw ImageError(
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
            throw ImageError(.buildFailed, "building \(request.name) failed in the engine: \(failure)")
        }
        guard let image = try await image(named: request.name) else {
            throw ImageError(.buildFailed, "the engine reported building \(request.name) but has no image of that name")
        }
        return image
    }

    /// Makes `request.name` the base image (described by `base`) plus the layer at `layer`, through
    /// `POST /images/load` of an archive that holds the new layer, its image configuration (the
    /// base's, with the new layer's diff ID and the labels added) and a manifest that lists the
    /// base's layers, which the engine already has.
    func load(
        _ request: ImageBuildRequest, base: [String: Any], layer: String, output: @escaping @Sendable (String) -> Void
    ) async throws -> EngineImage {
        guard let diffIDs = (base["RootFS"] as? [String: Any])?["Layers"] as? [String] else {
            throw ImageError(.missingBase, "the engine's description of base image \(request.baseImage) has no layers")
        }
        var config = base["Config"] as? [String: Any] ?? [:]
        if let triggers = config["OnBuild"] as? [Any], !triggers.isEmpty {
            // A base with ONBUILD instructions must be built on, or they would not run.
            return try await buildOnLayer(request, layer: layer, output: output)
        }
        var labels = config["Labels"] as? [String: Any] ?? [:]
        for (key, value) in request.labels { labels[key] = value }
        config["Labels"] = labels
        // A sensible age and a history entry per layer, the same for the same inputs (see ImageMetadata).
        let baseCreated = ImageMetadata.created(baseCreated: base["Created"] as? String, environment: [:])
        let created = ImageMetadata.created(baseCreated: base["Created"] as? String)
        let history = ImageMetadata.history(
            baseHistory: try await baseHistory(request.baseImage), baseLayerCount: diffIDs.count,
            baseName: request.baseImage, baseCreated: baseCreated,
            added: ["prewarm: Lambda runtime interface emulator and layers"], created: created)
        var image: [String: Any] = [
            "architecture": base["Architecture"] as? String ?? "", "os": base["Os"] as? String ?? "linux",
            "created": created, "config": config, "history": history,
            "rootfs": ["type": "layers", "diff_ids": diffIDs + [try ContentDigest.file(layer)]],
        ]
        if let variant = base["Variant"] as? String, !variant.isEmpty { image["variant"] = variant }
        let configData = try JSONSerialization.data(withJSONObject: image, options: [.sortedKeys])
        let configName = String(ContentDigest.data(configData).dropFirst("sha256:".count)) + ".json"
        let layers = diffIDs.indices.map { "base\($0)/layer.tar" } + ["prewarm/layer.tar"]
        let manifest = try JSONSerialization.data(
            withJSONObject: [["Config": configName, "RepoTags": [request.name], "Layers": layers]],
            options: [.sortedKeys])

        let archivePath = layer + ".image.tar"
        defer { try? FileManager.default.removeItem(atPath: archivePath) }
        guard FileManager.default.createFile(atPath: archivePath, contents: nil),
            let handle = FileHandle(forWritingAtPath: archivePath)
        else {
            throw ImageError(.io, "cannot create \(archivePath)")
        }
        do {
            defer { try? handle.close() }
            var tar = TarWriter(output: handle)
            try tar.addFile("manifest.json", contents: manifest)
            try tar.addFile(configName, contents: configData)
            try tar.addDirectory("prewarm")
            try tar.addFile("prewarm/layer.tar", from: layer, mode: 0o644)
            try tar.finish()
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-tar")
        let response = try await stream(
            HTTPRequest(
                method: .post, url: url("/images/load?quiet=1"), headers: headers, body: .file(path: archivePath)),
            doing: "load \(request.name)")
        if let failure = try await Self.drain(response.body, output: output) {
            throw ImageError(.buildFailed, "loading \(request.name) into the engine failed: \(failure)")
        }
        guard let built = try await self.image(named: request.name) else {
            throw ImageError(.buildFailed, "the engine loaded \(request.name) but has no image of that name")
        }
        return built
    }

    /// Loads the image archive at `archivePath` (the `docker save` form, e.g. from
    /// `OCIStore.export`) with `POST /images/load`.
    ///
    /// - Throws: `ImageError` with code `.buildFailed` carrying the engine's message when the
    ///   load fails (even when the engine answered 200 and reported the error in its stream).
    public func load(archivePath: String, output: @escaping @Sendable (String) -> Void = { _ in }) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-tar")
        let response = try await stream(
            HTTPRequest(
                method: .post, url: url("/images/load?quiet=1"), headers: headers, body: .file(path: archivePath)),
            doing: "load \(archivePath)")
        if let failure = try await Self.drain(response.body, output: output) {
            throw ImageError(.buildFailed, "loading \(archivePath) into \(endpoint) failed: \(failure)")
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
            throw ImageError(.io, "cannot create \(contextPath)")
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
