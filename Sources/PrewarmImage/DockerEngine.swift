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
    /// What the errors of ``init(endpoint:)`` say to do; ``EngineDiscovery`` says what fits where the
    /// endpoint came from instead.
    static let unavailableHint: Message =
        "start it, or point prewarm at one with \(EngineInput.dockerHost) or DOCKER_HOST"

    /// The newest Engine API version this client has been written against.
    public static let newestKnownVersion = "1.47"

    public let endpoint: Endpoint
    /// The API version in use, from `/_ping` and `/version`.
    public let apiVersion: String
    /// Which Docker-compatible engine answers, from `/version`.
    public enum Product: String, Sendable, Hashable, CustomStringConvertible {
        /// Docker Engine (dockerd): takes prewarm's layers with `POST /images/load`.
        case docker
        /// Podman's Docker-compatible API: builds with `POST /build` (COPY, no RUN).
        case podman

        public var description: String { rawValue }
    }

    /// Docker or Podman, from `/version`.
    public let product: Product
    let client: HTTPClient
    /// The layers loaded so far, so that each is sent once.
    let layerChains = LayerChains()

    /// Connects to the engine at `endpoint` and negotiates the API version.
    ///
    /// - Throws: `EngineError` with code `.engineUnavailable` that says what failed (no socket,
    ///   connection refused, not an Engine API) and how to point prewarm at an engine.
    public convenience init(endpoint: Endpoint) async throws {
        try await self.init(endpoint: endpoint, named: "\(endpoint)", hint: Self.unavailableHint)
    }

    /// Connects to the engine at `endpoint`, which the errors call `name` and for which they say `hint`.
    init(endpoint: Endpoint, named name: Message, hint: Message) async throws {
        self.endpoint = endpoint
        let client = HTTPClient(configuration: endpoint.httpConfiguration)
        self.client = client
        if let socket = endpoint.socketPath, !FileManager.default.fileExists(atPath: socket) {
            throw EngineError(
                .engineUnavailable, "no Docker engine: \(socket) does not exist; \(hint)")
        }
        let ping: HTTPResponse
        do {
            ping = try await client.execute(
                HTTPRequest(
                    url: endpoint.baseURL + "/_ping", timeouts: HTTPTimeouts(connect: .seconds(5), total: .seconds(15)))
            )
        } catch let error as HTTPError {
            throw EngineError(
                .engineUnavailable, "no Docker engine answers at \(name): \(error.message); \(hint)")
        }
        guard ping.isSuccess else {
            throw EngineError(
                .engineUnavailable, "\(name) answered /_ping with HTTP \(ping.status); is it a Docker engine?")
        }
        let offered = ping.headers["Api-Version"]
        let version: HTTPResponse
        do {
            version = try await client.execute(HTTPRequest(url: endpoint.baseURL + "/version"))
        } catch let error as HTTPError {
            throw EngineError(.engineUnavailable, "\(name) answered /_ping but not /version: \(error.message)")
        }
        let info = (try? JSONSerialization.jsonObject(with: version.body)) as? [String: Any] ?? [:]
        let serverVersion = offered ?? info["ApiVersion"] as? String ?? "1.41"
        apiVersion = Self.older(serverVersion, Self.newestKnownVersion)
        let components = info["Components"] as? [[String: Any]] ?? []
        let isPodman = components.contains { ($0["Name"] as? String)?.lowercased().contains("podman") == true }
        product = isPodman ? .podman : .docker
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
                throw EngineError(.missingBase, "cannot pull base image \(reference) for \(platform): \(failure)")
            }
        }
        guard let image = try await image(named: reference) else {
            let off = EngineInput.noPull
            let message: Message =
                pull
                ? "base image \(reference) is still missing after pulling it"
                : "base image \(reference) is not in the engine and pulls are off (\(off)); pull or load it first, "
                    + "or drop \(off)"
            throw EngineError(.missingBase, message)
        }
        let wanted = platform.architecture
        guard image.architecture == wanted else {
            // Docker's classic builder would quietly build on a base of the wrong architecture.
            throw EngineError(
                .missingBase, "base image \(reference) is \(image.architecture), not \(wanted) as \(platform) needs")
        }
        return image
    }

    /// `sam local` looks here and builds its own images here: a build holds SAM's lock for the name.
    public var sharesImagesWithSAM: Bool { true }

    /// Docker's classic builder caches SAM's own build of an Image function; Podman's builder does not
    /// serve SAM's builds from its cache, so there such an image is built as any other.
    public var buildsAsSAM: Bool { product == .docker }

    public var buildMethod: String? {
        buildForm == .layer ? "loads prewarm's layer with POST /images/load" : "builds with POST /build (COPY, no RUN)"
    }

    public var standInCleanup: String { "`prewarm gc --stand-ins --engine docker`" }

    /// What this engine is sent: Docker gets the bare layers and loads them on top of the base
    /// (`POST /images/load` reads no layer it already has, so this is the new layers' worth of work,
    /// with no container and no commit). Podman, whose load wants every layer in the archive,
    /// builds the Dockerfile context.
    package var buildForm: BuildContext.Form {
        product == .docker ? .layer : .dockerfileContext
    }
}
