import Foundation
import PrewarmImage
import PrewarmOCI
import PrewarmPlan
import PrewarmRun
import PrewarmSupport

/// The engine of a build, and what comes with the OCI store.
struct EngineSetup {
    var engine: any ImageEngine
    /// Why `auto` chose this engine, for the first line.
    var why: String?
    /// The OCI store, when it is the engine.
    var store: OCIStore?
    var registry: RegistryClient?
    var cache: RegistryBuildCache?
    /// Base images loaded from the template's `Metadata.Prewarm.BaseImages`: never pulled.
    var localBases: Set<String> = []
    /// What setting the engine up did, for the lines after the first.
    var notes: [String] = []
}

extension BuildCommand {
    /// The engine `--engine` asks for; with `auto`, the Docker engine the user points at or one at the usual
    /// sockets (``EngineDiscovery``), else the OCI store, saying what was tried.
    ///
    /// - Throws: `CommandFailure` (exit 2) with a one-line message, also when the engine pointed at
    ///   (`DOCKER_HOST`, a docker context) does not answer: that is never a reason to use the OCI store.
    func makeEngine(_ plan: Plan, environment: [String: String]) async throws -> EngineSetup {
        switch engineOptions.effectiveChoice {
        case .docker:
            let docker = try await engineOptions.dockerEngine(environment: environment)
            return try await dockerSetup(docker, plan: plan, why: nil)
        case .oci:
            return try ociSetup(plan, environment: environment, why: nil)
        case .auto:
            let outcome: EngineDiscovery.Outcome
            do {
                outcome = try await EngineDiscovery(environment: environment).discover(option: nil)
            } catch let error as ImageError {
                throw CommandFailure(message: error.description, exitCode: .unusableInput)
            }
            switch outcome {
            case .found(let docker, let candidate, _):
                var setup = try await dockerSetup(docker, plan: plan, why: "--engine auto: \(candidate.origin)")
                if !candidate.samLooksHere {
                    setup.notes.append(EngineOptions.samHint(candidate))
                }
                return setup
            case .none(let tried):
                var setup = try ociSetup(
                    plan, environment: environment,
                    why: "--engine auto: no Docker engine is set and none answers at the usual sockets")
                setup.notes.insert("tried: \(tried.joined(separator: "; "))", at: 0)
                return setup
            }
        }
    }

    private func dockerSetup(_ docker: DockerEngine, plan: Plan, why: String?) async throws -> EngineSetup {
        var setup = EngineSetup(engine: docker, why: why)
        let (local, loaded) = try await loadTemplateBases(plan, into: docker)
        setup.localBases = local
        if loaded > 0, let layout = plan.settings.baseImages {
            setup.notes.append("loaded \(loaded) base image(s) from \(layout) into the Docker engine")
        }
        return setup
    }

    private func ociSetup(_ plan: Plan, environment: [String: String], why: String?) throws -> EngineSetup {
        do {
            let mirrors = try engineOptions.registryMirrors.map(RegistryMirror.init)
            let registry = RegistryClient(
                configuration: RegistryClient.Configuration(
                    mirrors: mirrors, credentials: DockerCredentials(environment: environment)))
            var providers: [any BaseImageProvider] = []
            if let layout = plan.settings.baseImages { providers.append(LayoutBaseProvider(layout: layout)) }
            providers.append(RegistryBaseProvider(client: registry))
            let store = try OCIStore(
                path: engineOptions.store.directory(environment: environment),
                baseProvider: ChainedBaseProvider(providers)
            )
            var cache: RegistryBuildCache?
            if engineOptions.cacheFrom != nil || engineOptions.cacheTo != nil {
                cache = RegistryBuildCache(
                    store: store, client: registry, from: try engineOptions.cacheFrom.map(ImageReference.init),
                    to: try engineOptions.cacheTo.map(ImageReference.init))
            }
            _ = try engineOptions.push.map(ImageReference.init)
            return EngineSetup(engine: store, why: why, store: store, registry: registry, cache: cache)
        } catch let error as ImageError {
            throw CommandFailure(message: error.description, exitCode: .unusableInput)
        }
    }

    /// With a Docker engine: the bases of the plan that the template's `Metadata.Prewarm.BaseImages`
    /// layout holds. Those the engine lacks are loaded into it (through a scratch OCI store); one it
    /// has already is left as it is, never replaced by the layout's. None of them is pulled.
    ///
    /// - Returns: the bases the layout holds, and how many were loaded.
    private func loadTemplateBases(_ plan: Plan, into docker: DockerEngine) async throws -> (
        local: Set<String>, loaded: Int
    ) {
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
                    try await provider.provide(reference, platform: architecture.platform, pull: false, into: store)
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
            throw CommandFailure(
                message: "cannot load the base images of \(layout) into the Docker engine: \(error)",
                exitCode: .unusableInput)
        }
    }

    /// After a build in the OCI store: push (`--push`), load into Docker (`--load`), and say where the
    /// images are and how to use them.
    func afterOCIBuild(_ plan: Plan, store: OCIStore, outcomes: [String: NodeOutcome], setup: EngineSetup) async throws
    {
        let built = Array(
            Set(
                plan.functions.compactMap { function -> String? in
                    guard case .succeeded = outcomes[function.nodeID] else { return nil }
                    return function.image
                })
        ).sorted()
        guard !built.isEmpty else { return }
        let environment = ProcessInfo.processInfo.environment
        do {
            if let push = engineOptions.push, let registry = setup.registry {
                let publisher = ImagePublisher(store: store, client: registry, repository: try ImageReference(push))
                for pushed in try await publisher.publish(plan, outcomes: outcomes) {
                    Console.write(
                        "prewarm: pushed \(pushed.reference)@\(pushed.digest) (\(pushed.platforms.joined(separator: ", ")))"
                    )
                }
            }
            if engineOptions.load {
                let docker = try await engineOptions.dockerEngine(environment: environment)
                let archive = FileManager.default.temporaryDirectory
                    .appendingPathComponent("prewarm-load-\(UUID().uuidString).tar").path
                defer { try? FileManager.default.removeItem(atPath: archive) }
                try store.export(names: built, format: .docker, to: archive)
                try await docker.load(archivePath: archive)
                Console.write("prewarm: loaded \(built.count) image(s) into \(docker.description)")
                return
            }
        } catch let error as ImageError {
            throw CommandFailure(message: error.description, exitCode: .partialFailure)
        }
        Console.write("prewarm: \(built.count) image(s) are in the OCI store at \(store.path)")
        Console.write(
            "prewarm: for sam local, load them into Docker: add --load to this command, or run "
                + "`prewarm export --format docker -o images.tar \(built.count == 1 ? built[0] : "IMAGE…")` "
                + "and `docker load -i images.tar`")
    }
}
