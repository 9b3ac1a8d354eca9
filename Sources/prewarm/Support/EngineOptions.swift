import ArgumentParser
import Foundation
import PrewarmImage

/// Which engine builds the images, and where it is.
struct EngineOptions: ParsableArguments {
    enum Choice: String, ExpressibleByArgument, CaseIterable {
        case docker, oci, auto
    }

    @Option(
        help: ArgumentHelp(
            "Where images are built: docker (any Docker-compatible Engine API), oci (prewarm's own OCI store, no "
                + "daemon), or auto: docker when one answers at --docker-host, $DOCKER_HOST or /var/run/docker.sock, "
                + "else oci."))
    var engine: Choice = .auto

    @Option(
        name: .customLong("docker-host"),
        help: ArgumentHelp(
            "The Docker engine: unix:///path/docker.sock or tcp://host:port. Default: $DOCKER_HOST, else "
                + "/var/run/docker.sock. Implies --engine docker unless --engine is given.",
            valueName: "url"))
    var dockerHost: String?

    @Option(
        name: .customLong("oci-store"),
        help: ArgumentHelp(
            "The OCI store (an OCI image layout) of --engine oci. Default: $XDG_CACHE_HOME/prewarm/oci, else "
                + "~/.cache/prewarm/oci.",
            valueName: "dir"))
    var ociStore: String?

    /// The OCI store's directory.
    func ociStorePath(environment: [String: String]) -> String {
        if let ociStore { return LayerOptions.expandingTilde(ociStore, environment: environment) }
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return cache + "/prewarm/oci" }
        return LayerOptions.home(environment) + "/.cache/prewarm/oci"
    }

    /// The engine `--engine` asks for: `docker` when `--docker-host` is given without `--engine`.
    var effectiveChoice: Choice {
        engine == .auto && dockerHost != nil ? .docker : engine
    }

    /// Connects to the Docker engine, for `--engine docker` and `--load`.
    ///
    /// - Throws: `CommandFailure` (exit 2) with the engine's one-line message.
    func dockerEngine(environment: [String: String]) async throws -> DockerEngine {
        do {
            return try await DockerEngine(endpoint: .resolve(dockerHost, environment: environment))
        } catch let error as ImageError {
            throw CommandFailure(message: error.description, exitCode: .unusableInput)
        }
    }
}
