import Foundation
import PrewarmImage
import PrewarmSupport

/// Which engine builds, checks or cleans the images, and where it is: the one value that `BuildSession`,
/// ``Doctor`` and ``GarbageCollection`` open their engine from (`BuildConfiguration.engineSelection`).
///
/// Either a kind of engine to find (``engine``, with ``dockerHost`` and ``ociStore``), or an engine the
/// program made itself (``provided``): any type that conforms to `ImageEngine`, used as it is.
public struct EngineSelection: Sendable {
    /// Which engine builds the images.
    public enum Engine: String, Sendable, CaseIterable {
        /// A Docker-compatible Engine API (Docker, Podman, Colima, Finch): where `sam local` looks.
        case docker
        /// prewarm's own OCI store: no daemon; `load` hands the images to Docker afterwards.
        case oci
        /// `docker` when one answers at `dockerHost` (or `$DOCKER_HOST`, or /var/run/docker.sock), else `oci`;
        /// always `oci` for a template that brings its own base images or emulator (`Metadata.Prewarm`), which
        /// may be stand-ins (`BuildSession.Planned.templateSuppliesImages`).
        /// A setting only the OCI store serves (`push`, `cacheTo`, `registryMirrors`, `load`) makes it `oci`;
        /// `dockerHost` makes it `docker`. (`cacheFrom` serves both.)
        case auto
    }

    /// The kind of engine; not read when ``provided`` is set.
    public var engine: Engine
    /// The Docker engine: `unix:///path/docker.sock` or `tcp://host:port` (TLS from `DOCKER_TLS_VERIFY` and
    /// `DOCKER_CERT_PATH`); `nil`: `$DOCKER_HOST`, a docker context, else the usual sockets (``EngineDiscovery``).
    public var dockerHost: String?
    /// The OCI store's directory; `nil`: `$XDG_CACHE_HOME/prewarm/oci`, else `~/.cache/prewarm/oci`, or, for a
    /// build of a template that brings its own base images or emulator, `.prewarm/oci` beside it
    /// (`BuildSession.Planned.ociStorePath`).
    public var ociStore: String?
    /// An engine the program made itself, used as it is: nothing is discovered, and no OCI store is opened.
    public var provided: (any ImageEngine)?

    /// A kind of engine to find, and where.
    public init(engine: Engine = .auto, dockerHost: String? = nil, ociStore: String? = nil) {
        self.engine = engine
        self.dockerHost = dockerHost
        self.ociStore = ociStore
    }

    /// The engine `provided`, used as it is.
    public init(_ provided: any ImageEngine) {
        self.init()
        self.provided = provided
    }

    /// The kind asked for, once the other settings are considered: with `auto`, `oci` when `needsOCIStore`
    /// (a setting only the OCI store serves is given), `docker` when `dockerHost` is given; else `auto`
    /// (decided by whether a Docker engine answers).
    public func effectiveEngine(needsOCIStore: Bool) -> Engine {
        guard engine == .auto else { return engine }
        if needsOCIStore { return .oci }
        return dockerHost != nil ? .docker : .auto
    }

    /// `ociStore` (with `~` expanded), else `$XDG_CACHE_HOME/prewarm/oci`, else `~/.cache/prewarm/oci`.
    public func ociStorePath(environment: [String: String]) -> String {
        BuildConfiguration.ociStorePath(ociStore, environment: environment)
    }

    /// The Docker engine of `dockerHost`, else the one ``EngineDiscovery`` finds (`DOCKER_HOST`, a docker
    /// context, the usual sockets).
    ///
    /// - Throws: `EngineError` with code `.engineUnavailable` when none answers where it is looked for.
    public func dockerEngine(environment: [String: String]) async throws -> DockerEngine {
        try await EngineDiscovery(environment: environment).locate(option: dockerHost).0
    }

    /// Where a Docker engine is, as ``EngineDiscovery/discover(option:)`` finds it from `dockerHost`.
    ///
    /// - Throws: `EngineError` when an engine pointed at does not answer.
    public func discoverDocker(environment: [String: String]) async throws -> EngineDiscovery.Outcome {
        try await EngineDiscovery(environment: environment).discover(option: dockerHost)
    }

    /// The engine, opened for maintenance (`prewarm gc`): ``provided``; for `docker`, the engine of
    /// ``dockerEngine(environment:)``; for `oci`, the store at ``ociStorePath(environment:)`` (created when
    /// absent); for `auto`, a Docker engine when one answers, else the OCI store. Nothing else is set up.
    ///
    /// - Throws: `EngineError` when the engine named does not answer, or the store cannot be opened.
    public func open(environment: [String: String]) async throws -> any ImageEngine {
        if let provided { return provided }
        switch engine {
        case .docker:
            return try await dockerEngine(environment: environment)
        case .oci:
            return try OCIStore(path: ociStorePath(environment: environment))
        case .auto:
            if dockerHost == nil, case .none = try await discoverDocker(environment: environment) {
                return try OCIStore(path: ociStorePath(environment: environment))
            }
            return try await dockerEngine(environment: environment)
        }
    }
}
