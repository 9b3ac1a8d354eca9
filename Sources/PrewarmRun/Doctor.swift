import Foundation
import PrewarmAWS
import PrewarmImage
import PrewarmLayers
import PrewarmPlan
import PrewarmSupport

/// Checks, without building anything, what a build of `configuration` needs: the engine it would use, the
/// emulator of each architecture, the base images, the layer cache and the AWS credentials for layers to
/// download, the journal, the engine's clock and free disk space. What `prewarm doctor` prints.
///
/// It asks the engine only what `ImageEngine` offers; it creates no OCI store, and writes nothing but a
/// probe file it removes at once.
///
/// ```swift
/// let report = try await Doctor(BuildConfiguration(templatePath: "template.yaml")).run()
/// for check in report.checks where check.state == .failed { print(check.name, check.detail) }
/// ```
public struct Doctor: Sendable {
    public let configuration: BuildConfiguration

    public init(_ configuration: BuildConfiguration) {
        self.configuration = configuration
    }

    /// Runs every check, in order.
    ///
    /// - Returns: the report; a check that fails is in it, not thrown.
    /// - Throws: `BuildSessionError` when the template cannot be read or planned at all, as
    ///   `BuildSession.run(events:)` throws it.
    public func run() async throws -> DoctorReport {
        let session = try await BuildSession(configuration).planned()
        let plan = session.plan
        var report = DoctorReport()
        let engine = await checkEngine(&report, session: session)
        // What doctor opened it closes (an engine the program provided is the program's).
        defer { if configuration.engineSelection.provided == nil { engine?.close() } }
        checkEmulators(&report, plan: plan)
        if let engine { await checkBases(&report, plan: plan, engine: engine) }
        await checkLayerCache(&report, plan: plan)
        checkJournal(
            &report, path: BuildConfiguration.journalPath(configuration.journalPath, forTemplate: plan.template))
        if let engine { await checkClock(&report, engine: engine) }
        checkDisk(&report, engine: engine, store: session.ociStorePath)
        return report
    }

    /// The engine a build would use, found the same way (``EngineSelection``): one pointed at that does not
    /// answer is a failure, since a build stops there too. An OCI store that is not there yet is not created.
    ///
    /// - Returns: the engine, when there is one to ask about its images.
    func checkEngine(_ report: inout DoctorReport, session: BuildSession.Planned) async -> (any ImageEngine)? {
        let selection = configuration.engineSelection
        if let provided = selection.provided {
            report.pass("engine", Message(Self.line(provided, prefix: provided.description)))
            return provided
        }
        // As build: a template that brings its own bases or emulator builds into the store beside it.
        let choice = session.engineKind
        if choice != .oci {
            do {
                switch try await selection.discoverDocker(environment: configuration.environment) {
                case .found(let docker, let candidate, _):
                    var line = Self.line(docker, prefix: "\(docker.description), found by \(candidate.origin)")
                    if !candidate.samLooksHere { line += "; sam local needs DOCKER_HOST=\(candidate.endpoint) for it" }
                    report.pass("engine", Message(line))
                    return docker
                case .none(let tried):
                    let what =
                        "no Docker engine is set (DOCKER_HOST, a docker context) and none answers at the usual "
                        + "sockets (\(tried.joined(separator: "; ")))"
                    if choice == .docker {
                        report.fail("engine", "\(what); start one, or pass \(Setting.dockerHost)")
                        return nil
                    }
                    report.warn(
                        "engine",
                        "\(what): prewarm would build into its OCI store, where sam local does not look; start an "
                            + "engine or pass \(Setting.dockerHost)")
                }
            } catch let error as any PrewarmError {
                report.fail("engine", error.text)
                return nil
            } catch {
                report.fail("engine", "\(error)")
                return nil
            }
        }
        let directory = session.ociStorePath
        let role = choice == .oci ? "" : " (the fallback)"
        guard FileManager.default.fileExists(atPath: directory + "/index.json") else {
            if let problem = Self.writableProblem(directory) {
                report.fail(
                    "engine",
                    "the OCI store \(directory)\(role) cannot be created: \(problem); pass \(Setting.ociStore)")
            } else {
                report.pass("engine", "oci store at \(directory)\(role), created by the first build")
            }
            return nil
        }
        do {
            let store = try OCIStore(path: directory)
            report.pass("engine", "\(store.description)\(role)")
            return store
        } catch {
            report.fail("engine", (error as? any PrewarmError)?.text ?? "\(error)")
            return nil
        }
    }

    /// `prefix`, and how `engine` builds when it says (``ImageEngine/buildMethod``).
    private static func line(_ engine: any ImageEngine, prefix: String) -> String {
        engine.buildMethod.map { "\(prefix); \($0)" } ?? prefix
    }

    func checkEmulators(_ report: inout DoctorReport, plan: Plan) {
        let emulators = EmulatorLocator(
            directory: configuration.inputs.emulatorDirectory ?? plan.settings.emulatorDirectory,
            directorySource: configuration.inputs.emulatorDirectory != nil
                ? "\(Setting.emulatorDirectory)" : "the template's Metadata.Prewarm.EmulatorDirectory",
            environment: configuration.environment)
        for architecture in [Architecture.x86_64, .arm64] {
            let needed = plan.functions.contains { $0.architecture == architecture }
            do {
                let path = try emulators.emulator(for: architecture.rawValue)
                report.pass("emulator", "\(architecture.rawValue): \(path)")
            } catch {
                let message: Message = (error as? any PrewarmError)?.text ?? "\(error)"
                if needed {
                    report.fail(
                        "emulator",
                        "\(architecture.rawValue): \(message); point \(Setting.emulatorDirectory) at a "
                            + "directory holding it")
                } else {
                    report.warn(
                        "emulator", "\(architecture.rawValue) (no function of the template needs it): \(message)")
                }
            }
        }
    }

    func checkBases(_ report: inout DoctorReport, plan: Plan, engine: any ImageEngine) async {
        var present = 0
        var standIns = 0
        var missing: [String] = []
        for node in plan.graph.nodes {
            guard case .base(let reference, let architecture) = node.payload else { continue }
            let found = (try? await engine.image(named: reference)) ?? nil
            if let found, found.isStandIn, plan.settings.baseImages == nil {
                standIns += 1
                report.fail("base images", EngineExecutor.standInBase(reference, engine: engine).text)
            } else if let found, found.architecture == architecture.ociPlatform.architecture {
                present += 1
            } else {
                missing.append("\(reference) (\(architecture.rawValue))")
            }
        }
        if missing.isEmpty, standIns > 0 {
            return  // each stand-in is a failure of its own
        } else if missing.isEmpty {
            report.pass("base images", "\(present) of \(present) present")
        } else if !configuration.images.pull {
            report.fail(
                "base images",
                "\(missing.count) missing and pulls are off: \(missing.joined(separator: ", ")); load them, or "
                    + "drop \(Setting.skipPull)")
        } else {
            report.warn(
                "base images", "\(missing.count) to pull first: \(missing.joined(separator: ", "))")
        }
    }
}
