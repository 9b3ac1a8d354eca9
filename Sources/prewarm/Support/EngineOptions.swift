import ArgumentParser
import Foundation
import PrewarmRun

/// Which engine builds the images, and where it is.
struct EngineOptions: ParsableArguments {
    enum Choice: String, ExpressibleByArgument, CaseIterable {
        case docker, oci, auto
    }

    @Option(
        help: ArgumentHelp(
            "Where images are built: docker (any Docker-compatible Engine API), oci (prewarm's own OCI store, no "
                + "daemon), or auto: the Docker engine of --docker-host, $DOCKER_HOST or the docker context (an error "
                + "if it does not answer), else the first that answers at /var/run/docker.sock, /var/run/finch.sock, "
                + "Podman's, Docker Desktop's or Colima's socket, else oci."))
    var engine: Choice = .auto

    @Option(
        name: .customLong("docker-host"),
        help: ArgumentHelp(
            "The Docker engine: unix:///path/docker.sock or tcp://host:port (TLS with $DOCKER_TLS_VERIFY and "
                + "$DOCKER_CERT_PATH). Default: $DOCKER_HOST, the docker context ($DOCKER_CONTEXT, docker context "
                + "use), else the usual sockets. Implies --engine docker unless --engine is given.",
            valueName: "url"))
    var dockerHost: String?

    @OptionGroup var store: StoreOptions

    @Option(
        name: .customLong("registry-mirror"),
        help: ArgumentHelp(
            "Pull base images through another registry: FROM=TO, e.g. public.ecr.aws=127.0.0.1:5000 (a pull-through "
                + "cache or a private copy). Repeatable. --engine oci only.",
            valueName: "from=to"))
    var registryMirrors: [String] = []

    @Option(
        help: ArgumentHelp(
            "Push each image to this repository as <function>-<arch>, and for several architectures an index "
                + "<function> holding them all. --engine oci only.",
            valueName: "registry/repo"))
    var push: String?

    @Option(
        name: .customLong("cache-from"),
        help: ArgumentHelp(
            "A registry repository used as a build cache: an image whose build key is there (tag pw-<key>) is "
                + "fetched instead of built; with a Docker engine, it is loaded into it. Keys are the same in "
                + "every checkout, so a cache CI filled serves a developer's machine.",
            valueName: "registry/repo"))
    var cacheFrom: String?

    @Option(
        name: .customLong("cache-to"),
        help: ArgumentHelp(
            "Keep every image in this registry repository under its build key, for --cache-from elsewhere. "
                + "--engine oci only.",
            valueName: "registry/repo"))
    var cacheTo: String?

    @Flag(
        help:
            "With --engine oci: load the images into the Docker engine (--docker-host) afterwards, where sam local looks."
    )
    var load = false

    /// Whether a flag that only the OCI store serves is given (`--cache-from` serves Docker too).
    var needsOCIStore: Bool {
        push != nil || cacheTo != nil || load || !registryMirrors.isEmpty
    }

    /// The engine settings of a build.
    func apply(to configuration: inout BuildConfiguration) {
        let kind: EngineSelection.Engine =
            switch engine {
            case .docker: .docker
            case .oci: .oci
            case .auto: .auto
            }
        configuration.engineSelection = EngineSelection(engine: kind, dockerHost: dockerHost, ociStore: store.path)
        configuration.registryMirrors = registryMirrors
        configuration.push = push
        configuration.cacheFrom = cacheFrom
        configuration.cacheTo = cacheTo
        configuration.load = load
    }
}
