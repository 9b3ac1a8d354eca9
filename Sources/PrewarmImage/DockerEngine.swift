import Foundation
import PrewarmArchive
import PrewarmHTTP
import PrewarmOCI
import PrewarmSupport

/// A Docker-compatible engine reached through its Engine API: Docker, Podman's compatible
/// service, Colima, Finch. This is where `sam local` looks for images.
///
/// The API version is negotiated, never pinned: `/_ping` and `/version` say what the engine
/// speaks, and every request uses that version (capped at the newest this client knows).
/// Podman's names (`docker.io/samcli/…`, `localhost/img:v1`) are read back as `sam local`
/// writes them.
public final class DockerEngine: ImageEngine {
    /// Where the engine listens.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// The unix socket's path, or `nil` for TCP.
        public var socketPath: String?
        /// `http://host:port` for TCP; `http://localhost` for a socket (the host is only a header).
        public var baseURL: String

        /// Reads `unix:///path`, `tcp://host:port` or `http://host:port`.
        ///
        /// - Throws: `ImageError` with code `.engineUnavailable` for any other form.
        public init(host: String) throws {
            if host.hasPrefix("unix://") {
                socketPath = String(host.dropFirst("unix://".count))
                baseURL = "http://localhost"
            } else if host.hasPrefix("tcp://") {
                socketPath = nil
                baseURL = "http://" + host.dropFirst("tcp://".count)
            } else if host.hasPrefix("http://") {
                socketPath = nil
                baseURL = host
            } else {
                throw ImageError(
                    .engineUnavailable,
                    "cannot use Docker host '\(host)': write unix:///path/docker.sock or tcp://host:port")
            }
            while baseURL.hasSuffix("/") { baseURL.removeLast() }
        }

        /// `--docker-host`, else `$DOCKER_HOST`, else the default socket.
        public static func resolve(_ option: String?, environment: [String: String]) throws -> Endpoint {
            try Endpoint(
                host: option ?? environment["DOCKER_HOST"].flatMap { $0.isEmpty ? nil : $0 }
                    ?? "unix:///var/run/docker.sock")
        }

        public var description: String {
            socketPath.map { "unix://\($0)" } ?? baseURL.replacingOccurrences(of: "http://", with: "tcp://")
        }
    }

    /// The newest Engine API version this client has been written against.
    public static let newestKnownVersion = "1.47"

    public let endpoint: Endpoint
    /// The API version in use, from `/_ping` and `/version`.
    public let apiVersion: String
    /// `docker` or `podman`, from `/version`.
    public let product: String
    private let client: HTTPClient

    /// Connects to the engine at `endpoint` and negotiates the API version.
    ///
    /// - Throws: `ImageError` with code `.engineUnavailable` that says what failed (no socket,
    ///   connection refused, not an Engine API) and how to point prewarm at an engine.
    public init(endpoint: Endpoint) async throws {
        self.endpoint = endpoint
        let client = HTTPClient(
            configuration: .init(
                transport: endpoint.socketPath.map { .unixSocket($0) } ?? .tcp,
                timeouts: HTTPTimeouts(connect: .seconds(10), total: nil, stall: nil)))
        self.client = client
        let hint = "start it, or point prewarm at one with `dockerHost` or DOCKER_HOST"
        if let socket = endpoint.socketPath, !FileManager.default.fileExists(atPath: socket) {
            throw ImageError(
                .engineUnavailable, "no Docker engine: \(socket) does not exist; \(hint)", setting: .dockerHost)
        }
        let ping: HTTPResponse
        do {
            ping = try await client.execute(
                HTTPRequest(
                    url: endpoint.baseURL + "/_ping", timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(15)))
            )
        } catch let error as HTTPError {
            throw ImageError(
                .engineUnavailable, "no Docker engine answers at \(endpoint): \(error.message); \(hint)",
                setting: .dockerHost)
        }
        guard ping.isSuccess else {
            throw ImageError(
                .engineUnavailable, "\(endpoint) answered /_ping with HTTP \(ping.status); is it a Docker engine?")
        }
        let offered = ping.headers["Api-Version"]
        let version = try await client.execute(HTTPRequest(url: endpoint.baseURL + "/version"))
        let info = (try? JSONSerialization.jsonObject(with: version.body)) as? [String: Any] ?? [:]
        let serverVersion = offered ?? info["ApiVersion"] as? String ?? "1.41"
        apiVersion = Self.older(serverVersion, Self.newestKnownVersion)
        let components = info["Components"] as? [[String: Any]] ?? []
        let isPodman = components.contains { ($0["Name"] as? String)?.lowercased().contains("podman") == true }
        product = isPodman ? "podman" : "docker"
    }

    public var description: String {
        "\(product) at \(endpoint) (Engine API \(apiVersion))"
    }

    // MARK: - ImageEngine

    public func image(named name: String) async throws -> EngineImage? {
        let response = try await send(
            HTTPRequest(url: url("/images/\(Self.escapePath(name))/json")), doing: "inspect \(name)")
        if response.status == 404 { return nil }
        guard response.isSuccess else { throw engineError(response, doing: "inspect image \(name)") }
        return try Self.parseImage(response.body, name: name)
    }

    public func prepareBase(_ reference: String, platform: OCIPlatform, pull: Bool) async throws -> EngineImage {
        if pull {
            let (image, tag) = Self.splitReference(reference)
            var query = "fromImage=\(Self.escape(image))&platform=\(Self.escape(platform.description))"
            if let tag { query += "&tag=\(Self.escape(tag))" }
            let response = try await stream(
                HTTPRequest(method: .post, url: url("/images/create?\(query)")), doing: "pull \(reference)")
            if let failure = try await Self.drain(response.body, output: { _ in }) {
                throw ImageError(.missingBase, "cannot pull base image \(reference) for \(platform): \(failure)")
            }
        }
        guard let image = try await image(named: reference) else {
            throw ImageError(
                .missingBase,
                pull
                    ? "base image \(reference) is still missing after pulling it"
                    : "base image \(reference) is not in the engine and pulls are off (`pull: false`); "
                        + "pull or load it first, or drop `pull: false`",
                setting: pull ? nil : .skipPull)
        }
        let wanted = platform.architecture
        guard image.architecture == wanted else {
            // Docker's classic builder would quietly build on a base of the wrong architecture.
            throw ImageError(
                .missingBase, "base image \(reference) is \(image.architecture), not \(wanted) as \(platform) needs")
        }
        return image
    }

    /// What this engine is sent: Docker gets the bare layer and loads it on top of the base
    /// (`POST /images/load` reads no layer it already has, so this is one layer's worth of work,
    /// with no container and no commit). Podman, whose load wants every layer in the archive,
    /// builds the Dockerfile context.
    package var buildForm: BuildContext.Form {
        product == "docker" ? .layer : .dockerfileContext
    }

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
    private func inspectBase(of request: ImageBuildRequest) async throws -> [String: Any] {
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
    private func buildContext(
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
    private func load(
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
    private func buildOnLayer(
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

    // MARK: - Requests

    func url(_ path: String) -> String {
        "\(endpoint.baseURL)/v\(apiVersion)\(path)"
    }

    // Engine requests are sent once by prewarm: a lost connection, a timeout or a 5xx/429 answer becomes a
    // transient `ImageError`, and the scheduler does the whole node again (`--retries`), which first asks
    // whether the engine has the image after all. A `POST /build` or `/images/load` cut off midway may have
    // done part of its work, so it is not resent on its own, and retrying here as well would multiply the
    // scheduler's retries. (libcurl itself may resend a request whose reused keep-alive connection turns out
    // to be closed before any answer, on a fresh connection.)

    func send(_ request: HTTPRequest, doing action: String) async throws -> HTTPResponse {
        do {
            return try await client.execute(request)
        } catch let error as HTTPError {
            throw unavailable(error, doing: action)
        }
    }

    func stream(_ request: HTTPRequest, doing action: String) async throws -> HTTPStreamingResponse {
        let response: HTTPStreamingResponse
        do {
            response = try await client.stream(request)
        } catch let error as HTTPError {
            throw unavailable(error, doing: action)
        }
        guard response.isSuccess else {
            var body = Data()
            for try await chunk in response.body where body.count < 64 * 1024 { body.append(chunk) }
            throw ImageError(
                .engine, "cannot \(action): \(Self.message(in: body) ?? "HTTP \(response.status)")",
                transient: HTTPError.isTransient(status: response.status))
        }
        return response
    }

    /// The engine could not be reached, or the connection was lost: transient when `error` is.
    private func unavailable(_ error: HTTPError, doing action: String) -> ImageError {
        ImageError(
            .engineUnavailable, "cannot \(action) at \(endpoint): \(error.message)", transient: error.isTransient)
    }

    /// The engine answered `response`, not a success: transient for 5xx and 429 (see
    /// `HTTPError.transientStatuses`), not for a refusal.
    func engineError(_ response: HTTPResponse, doing action: String) -> ImageError {
        ImageError(
            .engine, "cannot \(action) at \(endpoint): \(Self.message(in: response.body) ?? "HTTP \(response.status)")",
            transient: HTTPError.isTransient(status: response.status))
    }

    // MARK: - Parsing

    /// Reads a stream of JSON lines (build or pull progress) to its end.
    ///
    /// - Returns: the engine's error message when a line carries `error`/`errorDetail` (the
    ///   engine still answered 200), or `nil` when the stream ended without one.
    static func drain(_ body: HTTPBody, output: @Sendable (String) -> Void) async throws -> String? {
        var failure: String?
        for try await line in body.lines {
            guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
                output(String(decoding: line, as: UTF8.self))
                continue
            }
            if let error = (object["errorDetail"] as? [String: Any])?["message"] as? String ?? object["error"]
                as? String
            {
                failure = failure ?? error.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let text = object["stream"] as? String ?? object["status"] as? String {
                for piece in text.split(separator: "\n") where !piece.trimmingCharacters(in: .whitespaces).isEmpty {
                    output(String(piece))
                }
            }
        }
        return failure
    }

    static func parseImage(_ data: Data, name: String) throws -> EngineImage {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let id = object["Id"] as? String
        else {
            throw ImageError(.engine, "the engine's description of \(name) is not the JSON of an image")
        }
        let config = object["Config"] as? [String: Any]
        let labels = config?["Labels"] as? [String: String] ?? [:]
        let tags = (object["RepoTags"] as? [String] ?? []).map(normalize)
        return EngineImage(
            id: id.hasPrefix("sha256:") ? id : "sha256:" + id, names: tags, labels: labels,
            architecture: object["Architecture"] as? String ?? "")
    }

    /// Podman's names as `sam local` writes them: `docker.io/x` → `x`, `localhost/x` → `x`.
    static func normalize(_ name: String) -> String {
        for prefix in ["docker.io/library/", "docker.io/", "localhost/"] where name.hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count))
        }
        return name
    }

    static func message(in body: Data) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        return (object["message"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `repo:tag` → (`repo`, `tag`); a digest or a missing tag gives no tag. A registry port's
    /// colon is not a tag.
    static func splitReference(_ reference: String) -> (String, String?) {
        if reference.contains("@") { return (reference, nil) }
        guard let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") else {
            return (reference, nil)
        }
        return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
    }

    /// An image name in a URL path: its `/`, `:` and `@` stay as they are, as the Engine API expects.
    static func escapePath(_ name: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/:@")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The older of two API versions (`1.41` < `1.47`).
    static func older(_ a: String, _ b: String) -> String {
        let left = a.split(separator: ".").compactMap { Int($0) }
        let right = b.split(separator: ".").compactMap { Int($0) }
        return left.lexicographicallyPrecedes(right) ? a : b
    }
}
