import ArgumentParser
import Foundation
import PrewarmAWS
import PrewarmImage
import PrewarmLayers
import PrewarmPlan
import PrewarmRun
import PrewarmSupport

/// `prewarm doctor`: checks, one line each, what a build of the template needs.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check what a build needs: the engine, the emulator, base images, caches, credentials, clock, disk.",
        discussion: """
            One line per check: ✓ fine, ! worth knowing, ✗ blocks a build (with what to do). Takes the \
            engine, emulator and layer options of prewarm build, so it checks the build you would run.

            Examples:
              prewarm doctor
              prewarm doctor template.yaml --docker-host unix:///run/user/1000/podman/podman.sock

            Exit codes: 0 nothing blocks a build; 1 something does; 2 unusable input (template, flags).
            """)

    @OptionGroup var inputs: BuildInputOptions

    @Option(help: "Output format: text (a line per check) or json.")
    var format: ReportFormat = .text

    /// The build these flags would run, as the library takes it.
    func configuration() throws -> BuildConfiguration {
        try inputs.configuration()
    }

    func run() async throws {
        let configuration = try configuration()
        let session = try await BuildSession(configuration)
        let plan = session.plan
        var report = DoctorReport()
        let engine = await checkEngine(&report, configuration, session: session)
        checkEmulators(&report, plan: plan, configuration)
        if let engine { await checkBases(&report, plan: plan, engine: engine) }
        await checkLayerCache(&report, plan: plan, configuration)
        checkJournal(
            &report, path: BuildConfiguration.journalPath(configuration.journalPath, forTemplate: plan.template))
        if let docker = engine as? DockerEngine { await checkClock(&report, docker: docker) }
        checkDisk(&report, configuration, store: session.ociStorePath)
        switch format {
        case .json:
            print(JSONText.line(DoctorJSON(report)))
        case .text:
            for check in report.checks { print(check.line) }
        }
        if report.blocks { throw ExitStatus.partialFailure.exitCode }
    }

    // MARK: - Checks

    private func checkEngine(
        _ report: inout DoctorReport, _ configuration: BuildConfiguration, session: BuildSession
    ) async -> (any ImageEngine)? {
        var choice = configuration.effectiveEngine
        let environment = configuration.environment
        // As build: a template that brings its own bases or emulator builds into the store beside it.
        if choice == .auto, session.templateSuppliesImages { choice = .oci }
        if choice != .oci {
            // The engine build would use, found the same way (EngineDiscovery): one pointed at that does not
            // answer is a failure, since build stops there too.
            do {
                switch try await EngineDiscovery(environment: environment).discover(option: configuration.dockerHost) {
                case .found(let docker, let candidate, _):
                    let method =
                        docker.product == .docker
                        ? "loads prewarm's layer with POST /images/load" : "builds with POST /build (COPY, no RUN)"
                    var line = "\(docker.description), found by \(candidate.origin); \(method)"
                    if !candidate.samLooksHere { line += "; sam local needs DOCKER_HOST=\(candidate.endpoint) for it" }
                    report.pass("engine", SettingFlags.render(line))
                    return docker
                case .none(let tried):
                    let what =
                        "no Docker engine is set (DOCKER_HOST, a docker context) and none answers at the usual "
                        + "sockets (\(tried.joined(separator: "; ")))"
                    if choice == .docker {
                        report.fail("engine", "\(what); start one, or pass --docker-host")
                        return nil
                    }
                    report.warn(
                        "engine",
                        "\(what): prewarm would build into its OCI store, where sam local does not look; start an "
                            + "engine or pass --docker-host")
                }
            } catch let error as ImageError {
                report.fail("engine", SettingFlags.render(error.message))
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
                    "engine", "the OCI store \(directory)\(role) cannot be created: \(problem); pass --oci-store")
            } else {
                report.pass("engine", "oci store at \(directory)\(role), created by the first build")
            }
            return nil
        }
        do {
            let store = try OCIStore(path: directory)
            report.pass("engine", store.description + role)
            return store
        } catch {
            report.fail("engine", (error as? ImageError)?.message ?? "\(error)")
            return nil
        }
    }

    private func checkEmulators(_ report: inout DoctorReport, plan: Plan, _ configuration: BuildConfiguration) {
        let emulators = EmulatorLocator(
            directory: configuration.inputs.emulatorDirectory ?? plan.settings.emulatorDirectory,
            directorySource: configuration.inputs.emulatorDirectory != nil
                ? Setting.emulatorDirectory.mention : "the template's Metadata.Prewarm.EmulatorDirectory",
            environment: configuration.environment)
        for architecture in [Architecture.x86_64, .arm64] {
            let needed = plan.functions.contains { $0.architecture == architecture }
            do {
                let path = try emulators.emulator(for: architecture.rawValue)
                report.pass("emulator", "\(architecture.rawValue): \(path)")
            } catch {
                let message = SettingFlags.render((error as? ImageError)?.message ?? "\(error)")
                if needed {
                    report.fail(
                        "emulator", "\(architecture.rawValue): \(message); point --rie-dir at a directory holding it")
                } else {
                    report.warn(
                        "emulator", "\(architecture.rawValue) (no function of the template needs it): \(message)")
                }
            }
        }
    }

    private var pullAllowed: Bool { !inputs.skipPullImage }

    private func checkBases(_ report: inout DoctorReport, plan: Plan, engine: any ImageEngine) async {
        var present = 0
        var standIns = 0
        var missing: [String] = []
        for node in plan.graph.nodes {
            guard case .base(let reference, let architecture) = node.payload else { continue }
            let found = (try? await engine.image(named: reference)) ?? nil
            if let found, found.isStandIn, plan.settings.baseImages == nil {
                standIns += 1
                report.fail("base images", EngineExecutor.standInBase(reference, engine: engine).message)
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
        } else if !pullAllowed {
            report.fail(
                "base images",
                "\(missing.count) missing and pulls are off: \(missing.joined(separator: ", ")); load them, or "
                    + "drop --skip-pull-image")
        } else {
            report.warn(
                "base images", "\(missing.count) to pull first: \(missing.joined(separator: ", "))")
        }
    }

    private func checkLayerCache(_ report: inout DoctorReport, plan: Plan, _ configuration: BuildConfiguration) async {
        let directory = configuration.resolvedLayerCacheDirectory
        if let problem = Self.writableProblem(directory) {
            report.fail("layer cache", "\(directory): \(problem); pass --layer-cache-basedir")
            return
        }
        let store = LayerStore(baseDirectory: directory, maxExpandedSize: configuration.inputs.maxLayerSize)
        let (verified, missing) = LayerFetcher.verifiedLayers(of: plan.graph, in: store)
        report.pass("layer cache", "\(directory) is writable; \(verified.count) layer(s) by ARN cached")
        guard let first = missing.first else { return }
        do {
            let credentials = try await AWSEnvironment(environment: configuration.environment).resolveCredentials(
                for: first.text)
            report.pass(
                "AWS credentials", "\(missing.count) layer(s) to download, with credentials from \(credentials.source)")
        } catch {
            report.fail("AWS credentials", SettingFlags.render((error as? AWSError)?.message ?? "\(error)"))
        }
    }

    private func checkJournal(_ report: inout DoctorReport, path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if let problem = Self.writableProblem(directory) {
            report.fail("journal", "\(directory): \(problem); pass --journal")
        } else {
            report.pass(
                "journal", path + (FileManager.default.fileExists(atPath: path) ? "" : " (created by the first build)"))
        }
    }

    private func checkClock(_ report: inout DoctorReport, docker: DockerEngine) async {
        guard let engineClock = try? await docker.clock() else {
            report.warn("clock", "the engine does not say its time")
            return
        }
        let skew = Date().timeIntervalSince(engineClock)
        if abs(skew) > 300 {
            report.warn(
                "clock",
                "this machine's clock is \(Int(skew.rounded())) s off the engine's; AWS refuses signatures "
                    + "more than 5 minutes off: set the clock")
        } else {
            report.pass("clock", "within \(Int(abs(skew).rounded(.up))) s of the engine's")
        }
    }

    private func checkDisk(_ report: inout DoctorReport, _ configuration: BuildConfiguration, store: String) {
        var paths = [configuration.resolvedLayerCacheDirectory]
        if configuration.effectiveEngine != .docker { paths.append(store) }
        for path in paths {
            guard let free = Self.freeBytes(nearest: path) else { continue }
            let text = ByteCount(bytes: free).approximate
            if free < 256 << 20 {
                report.fail("disk", "\(text) free for \(path); free some space")
            } else if free < 2 << 30 {
                report.warn("disk", "\(text) free for \(path)")
            } else {
                report.pass("disk", "\(text) free for \(path)")
            }
        }
    }

    // MARK: - Helpers

    /// Why `directory` (or, when absent, the nearest existing parent it would be created in) cannot
    /// be written; `nil` when it can.
    static func writableProblem(_ directory: String) -> String? {
        var candidate = URL(fileURLWithPath: directory).standardizedFileURL.path
        while !FileManager.default.fileExists(atPath: candidate) {
            let parent = URL(fileURLWithPath: candidate).deletingLastPathComponent().path
            if parent == candidate { return "no existing directory to create it in" }
            candidate = parent
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "\(candidate) is not a directory"
        }
        let probe = candidate + "/.prewarm-doctor-\(UUID().uuidString)"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { return "cannot write in \(candidate): \(systemErrorMessage())" }
        close(descriptor)
        unlink(probe)
        return nil
    }

    /// Free bytes on the file system holding `path` or its nearest existing parent.
    static func freeBytes(nearest path: String) -> Int64? {
        var candidate = URL(fileURLWithPath: path).standardizedFileURL.path
        while !FileManager.default.fileExists(atPath: candidate) {
            let parent = URL(fileURLWithPath: candidate).deletingLastPathComponent().path
            if parent == candidate { return nil }
            candidate = parent
        }
        var status = statvfs()
        guard statvfs(candidate, &status) == 0 else { return nil }
        return Int64(status.f_bavail) * Int64(status.f_frsize)
    }
}

/// The checks of one `prewarm doctor`, in order.
struct DoctorReport {
    enum State: String, Encodable {
        case ok, warning, failed
    }

    struct Check: Encodable {
        var name: String
        var state: State
        var detail: String

        var line: String {
            let mark =
                switch state {
                case .ok: "✓"
                case .warning: "!"
                case .failed: "✗"
                }
            return "\(mark) \(name): \(detail)"
        }
    }

    var checks: [Check] = []

    var blocks: Bool { checks.contains { $0.state == .failed } }

    mutating func pass(_ name: String, _ detail: String) {
        checks.append(Check(name: name, state: .ok, detail: detail))
    }
    mutating func warn(_ name: String, _ detail: String) {
        checks.append(Check(name: name, state: .warning, detail: detail))
    }
    mutating func fail(_ name: String, _ detail: String) {
        checks.append(Check(name: name, state: .failed, detail: detail))
    }
}

/// `prewarm doctor --format json`.
struct DoctorJSON: Encodable {
    var schemaVersion = JSONSchema.version
    var ok: Bool
    var checks: [DoctorReport.Check]

    init(_ report: DoctorReport) {
        ok = !report.blocks
        checks = report.checks
    }
}

extension ByteCount {
    /// `12.3 GiB`, `512 MiB`: for people.
    var approximate: String {
        let units: [(String, Double)] = [("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024)]
        for (name, size) in units where Double(bytes) >= size {
            return String(format: "%.1f %@", Double(bytes) / size, name)
        }
        return "\(bytes) bytes"
    }
}
