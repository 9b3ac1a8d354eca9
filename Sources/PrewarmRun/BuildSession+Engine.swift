import Foundation
import PrewarmImage
import PrewarmOCI
import PrewarmPlan
import PrewarmSupport

/// The engine of a build, and what comes with the OCI store.
struct EngineSetup: Sendable {
    var engine: any ImageEngine
    /// Why `auto` chose this engine.
    var reason: EngineReason?
    /// The OCI store, when it is the engine.
    var store: OCIStore?
    var registry: RegistryClient?
    /// Where images are fetched from before building (`cacheFrom`), and kept (`cacheTo`, OCI store only).
    var cache: (any BuildCache)?
    /// Base images loaded from the template's `Metadata.Prewarm.BaseImages`: never pulled.
    var localBases: Set<String> = []
    /// With `load`: the Docker engine the OCI store's images go to after the build, found before it.
    var loadTarget: DockerEngine?
    /// What setting the engine up did.
    var notes: [Message] = []
}

extension BuildSession.Planned {
    /// The kind of engine this build uses, as far as it is decided before any engine is asked: the
    /// configuration's `effectiveEngine`, with `auto` made `oci` for a template that brings its own images
    /// (``templateSuppliesImages``). `auto` is left to whether a Docker engine answers; `Doctor` checks the
    /// engine this says.
    package var engineKind: EngineSelection.Engine {
        let kind = configuration.effectiveEngine
        return kind == .auto && templateSuppliesImages ? .oci : kind
    }

    /// The engine the configuration asks for: the one the program provided, as it is; with `auto`, the
    /// Docker engine the environment points at or one at the usual sockets (``EngineDiscovery``), else the
    /// OCI store, with a note of what was tried.
    ///
    /// - Throws: `BuildSessionError` with code `.engine` (also when the engine pointed at — `dockerHost`,
    ///   `DOCKER_HOST`, a docker context — does not answer: that is never a reason to use the OCI store),
    ///   `.configuration` or `.baseImages`.
    func makeEngine() async throws -> EngineSetup {
        if let provided = configuration.engineSelection.provided { return EngineSetup(engine: provided) }
        switch configuration.effectiveEngine {
        case .docker:
            return try await dockerSetup(try await dockerEngine(), reason: nil)
        case .oci:
            var setup = try ociSetup(reason: nil)
            if configuration.load {
                // Checked before anything is built, so that a build with nowhere to load its images into
                // stops at once instead of after all its work.
                setup.loadTarget = try await dockerEngine(
                    for: "\(Setting.load) needs a Docker engine to load the images into; nothing was built")
            }
            return setup
        case .auto:
            // What the template brings may be stand-ins: never into a Docker engine the user did not name.
            if templateSuppliesImages { return try ociSetup(reason: .templateSupplied) }
            let outcome: EngineDiscovery.Outcome
            do {
                outcome = try await EngineSelection().discoverDocker(environment: configuration.environment)
            } catch let error as any PrewarmError {
                throw BuildSessionError(.engine, error.line, remedy: .change(.dockerHost), cause: error)
            }
            switch outcome {
            case .found(let docker, let candidate, _):
                var setup = try await dockerSetup(docker, reason: .dockerFound(origin: candidate.origin))
                if !candidate.samLooksHere {
                    let host = candidate.endpoint.socketPath.map { "unix://\($0)" } ?? "\(candidate.endpoint)"
                    setup.notes.append(
                        "sam local reads only DOCKER_HOST (else /var/run/docker.sock): run it with "
                            + "DOCKER_HOST=\(host) to use these images")
                }
                return setup
            case .none(let tried):
                var setup = try ociSetup(reason: .noDockerEngine(tried: tried))
                setup.notes.insert("tried: \(tried.joined(separator: "; "))", at: 0)
                return setup
            }
        }
    }

    /// The Docker engine of the selection (``EngineSelection/dockerEngine(environment:)``); `purpose`, when
    /// given, says first what it was needed for.
    ///
    /// - Throws: `BuildSessionError` with code `.engine` when no engine answers where `dockerHost`,
    ///   `DOCKER_HOST`, a docker context or the usual sockets point.
    func dockerEngine(for purpose: Message? = nil) async throws -> DockerEngine {
        do {
            return try await configuration.engineSelection.dockerEngine(environment: configuration.environment)
        } catch let error as any PrewarmError {
            let text = purpose.map { $0 + ": " + error.line } ?? error.line
            throw BuildSessionError(.engine, text, remedy: .change(.dockerHost), cause: error)
        }
    }

    private func dockerSetup(_ docker: DockerEngine, reason: EngineReason?) async throws -> EngineSetup {
        var setup = EngineSetup(engine: docker, reason: reason)
        if let cacheFrom = configuration.cacheFrom {
            do {
                setup.cache = DockerRegistryCache(
                    docker: docker,
                    client: RegistryClient(
                        configuration: RegistryClient.Configuration(
                            credentials: DockerCredentials(environment: configuration.environment))),
                    from: try ImageReference(cacheFrom))
            } catch let error as any PrewarmError {
                throw BuildSessionError(.configuration, error.line, cause: error)
            }
        }
        let (local, loaded, bases) = try await loadTemplateBases(into: docker)
        setup.localBases = local
        if !loaded.isEmpty, let layout = plan.settings.baseImages {
            setup.notes.append("loaded \(loaded.count) base image(s) from \(layout) into the Docker engine")
        }
        if templateSuppliesImages, suppliesStandIns(bases: bases) {
            setup.notes.append(
                standInNote(names: Set(plan.functions.map(\.image)).union(loaded).sorted()))
        }
        return setup
    }

    private func ociSetup(reason: EngineReason?) throws -> EngineSetup {
        let registry: RegistryClient
        var cache: (any BuildCache)?
        do {
            let mirrors = try configuration.registryMirrors.map(RegistryMirror.init)
            registry = RegistryClient(
                configuration: RegistryClient.Configuration(
                    mirrors: mirrors, credentials: DockerCredentials(environment: configuration.environment)))
            _ = try configuration.push.map(ImageReference.init)
            let from = try configuration.cacheFrom.map(ImageReference.init)
            let to = try configuration.cacheTo.map(ImageReference.init)
            let store = try openStore(registry: registry)
            if from != nil || to != nil {
                cache = RegistryBuildCache(store: store, client: registry, from: from, to: to)
            }
            return EngineSetup(engine: store, reason: reason, store: store, registry: registry, cache: cache)
        } catch let error as BuildSessionError {
            throw error
        } catch let error as any PrewarmError {
            throw BuildSessionError(.configuration, error.line, cause: error)
        }
    }

    private func openStore(registry: RegistryClient) throws -> OCIStore {
        var providers: [any BaseImageProvider] = []
        if let layout = plan.settings.baseImages { providers.append(LayoutBaseProvider(layout: layout)) }
        providers.append(RegistryBaseProvider(client: registry))
        do {
            return try OCIStore(path: ociStorePath, baseProvider: ChainedBaseProvider(providers))
        } catch let error as any PrewarmError {
            throw BuildSessionError(.engine, error.line, remedy: .change(.ociStore), cause: error)
        }
    }

    /// With a Docker engine: the bases of the plan that the template's `Metadata.Prewarm.BaseImages`
    /// layout holds. Those the engine lacks are loaded into it (through a scratch OCI store); one it
    /// has already is left as it is, never replaced by the layout's. None of them is pulled.
    ///
    /// - Returns: the bases the layout holds, those that were loaded, and the layout's images of them.
    private func loadTemplateBases(into docker: DockerEngine) async throws -> (
        local: Set<String>, loaded: [String], images: [EngineImage]
    ) {
        guard let layout = plan.settings.baseImages else { return ([], [], []) }
        do {
            let directory = try ScratchDirectory()
            defer { directory.remove() }
            let scratch = directory.path
            let store = try OCIStore(path: scratch + "/store")
            defer { store.close() }
            let provider = LayoutBaseProvider(layout: layout)
            var local: Set<String> = []
            var missing: [String] = []
            var images: [EngineImage] = []
            for node in plan.graph.nodes {
                guard case .base(let reference, let architecture) = node.payload,
                    try await provider.provide(reference, platform: architecture.ociPlatform, pull: false, into: store)
                else { continue }
                local.insert(reference)
                if let image = try await store.image(named: reference) { images.append(image) }
                if try await docker.image(named: reference) == nil { missing.append(reference) }
            }
            if !missing.isEmpty {
                try await store.run { [missing] in
                    try $0.export(names: missing, format: .docker, to: scratch + "/bases.tar")
                }
                try await docker.load(archivePath: scratch + "/bases.tar")
            }
            return (local, missing, images)
        } catch let error as any PrewarmError {
            throw BuildSessionError(
                .baseImages, "cannot load the base images of \(layout) into the Docker engine: \(error)",
                remedy: .editTemplate(plan.template), cause: error)
        }
    }
}
