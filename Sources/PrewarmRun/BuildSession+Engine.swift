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
    var cache: RegistryBuildCache?
    /// Base images loaded from the template's `Metadata.Prewarm.BaseImages`: never pulled.
    var localBases: Set<String> = []
    /// What setting the engine up did.
    var notes: [String] = []
}

extension BuildSession {
    /// The engine the configuration asks for; with `auto`, a Docker engine when one answers, else the OCI store.
    ///
    /// - Throws: `BuildSessionError` with code `.engine`, `.configuration` or `.baseImages`.
    func makeEngine() async throws -> EngineSetup {
        switch configuration.effectiveEngine {
        case .docker:
            return try await dockerSetup(try await dockerEngine(), reason: nil)
        case .oci:
            return try ociSetup(reason: nil)
        case .auto:
            let environment = configuration.environment
            do {
                let docker = try await DockerEngine(endpoint: .resolve(nil, environment: environment))
                return try await dockerSetup(docker, reason: .dockerAnswered)
            } catch let error as ImageError where error.code == .engineUnavailable {
                let endpoint = (try? DockerEngine.Endpoint.resolve(nil, environment: environment))?.description ?? "?"
                return try ociSetup(reason: .noDockerEngine(endpoint: endpoint))
            } catch let error as ImageError {
                throw BuildSessionError(.engine, error.description, remedy: .change(.dockerHost), cause: error)
            }
        }
    }

    /// Connects to the Docker engine at `dockerHost` (else `$DOCKER_HOST`, else /var/run/docker.sock).
    func dockerEngine() async throws -> DockerEngine {
        do {
            return try await DockerEngine(
                endpoint: .resolve(configuration.dockerHost, environment: configuration.environment))
        } catch let error as ImageError {
            throw BuildSessionError(.engine, error.description, remedy: .change(.dockerHost), cause: error)
        }
    }

    private func dockerSetup(_ docker: DockerEngine, reason: EngineReason?) async throws -> EngineSetup {
        var setup = EngineSetup(engine: docker, reason: reason)
        let (local, loaded) = try await loadTemplateBases(into: docker)
        setup.localBases = local
        if loaded > 0, let layout = plan.settings.baseImages {
            setup.notes.append("loaded \(loaded) base image(s) from \(layout) into the Docker engine")
        }
        return setup
    }

    private func ociSetup(reason: EngineReason?) throws -> EngineSetup {
        let registry: RegistryClient
        var cache: RegistryBuildCache?
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
        } catch let error as ImageError {
            throw BuildSessionError(.configuration, error.description, cause: error)
        }
    }

    private func openStore(registry: RegistryClient) throws -> OCIStore {
        var providers: [any BaseImageProvider] = []
        if let layout = plan.settings.baseImages { providers.append(LayoutBaseProvider(layout: layout)) }
        providers.append(RegistryBaseProvider(client: registry))
        do {
            return try OCIStore(path: configuration.resolvedOCIStore, baseProvider: ChainedBaseProvider(providers))
        } catch let error as ImageError {
            throw BuildSessionError(.engine, error.description, remedy: .change(.ociStore), cause: error)
        }
    }

    /// With a Docker engine: the bases of the plan that the template's `Metadata.Prewarm.BaseImages`
    /// layout holds. Those the engine lacks are loaded into it (through a scratch OCI store); one it
    /// has already is left as it is, never replaced by the layout's. None of them is pulled.
    ///
    /// - Returns: the bases the layout holds, and how many were loaded.
    private func loadTemplateBases(into docker: DockerEngine) async throws -> (local: Set<String>, loaded: Int) {
        guard let layout = plan.settings.baseImages else { return ([], 0) }
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("prewarm-bases-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        do {
            let store = try OCIStore(path: scratch + "/store")
            let provider = LayoutBaseProvider(layout: layout)
            var local: Set<String> = []
            var missing: [String] = []
            for node in plan.graph.nodes {
                guard case .base(let reference, let architecture) = node.payload,
                    try await provider.provide(reference, platform: architecture.ociPlatform, pull: false, into: store)
                else { continue }
                local.insert(reference)
                if try await docker.image(named: reference) == nil { missing.append(reference) }
            }
            if !missing.isEmpty {
                try store.export(names: missing, format: .docker, to: scratch + "/bases.tar")
                try await docker.load(archivePath: scratch + "/bases.tar")
            }
            return (local, missing.count)
        } catch let error as ImageError {
            throw BuildSessionError(
                .baseImages, "cannot load the base images of \(layout) into the Docker engine: \(error)",
                remedy: .editTemplate(plan.template), cause: error)
        }
    }
}
