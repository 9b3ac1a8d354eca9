import ArgumentParser
import Foundation
import Logging
import PrewarmJournal
import PrewarmPlan
import PrewarmRun
import PrewarmSupport

/// `prewarm build`: builds every image of the plan in a Docker-compatible engine or the OCI store.
///
/// The work is `BuildSession`'s: this command maps its flags to a `BuildConfiguration`, prints the
/// session's events, and maps the outcome to an exit status.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build, concurrently, every image `sam local` will look for, and record the run in the journal.",
        discussion: """
            Each distinct image is built once: the base image, the Lambda runtime interface emulator at \
            /var/rapid/aws-lambda-rie and the function's layers under /opt. No RUN step, so arm64 images \
            build on an x86_64 host without emulation. An image whose name exists with the same build \
            key is not built again. Layers by ARN are downloaded once, verified, into SAM CLI's layer \
            cache (AWS credentials as the AWS CLI finds them: environment variables, keys, \
            role_arn + source_profile, SSO, credential_process; --profile and --region as in SAM CLI).

            Engines: a Docker-compatible engine, where sam local looks, or prewarm's own OCI store \
            (no daemon; --load hands the images to Docker). --engine auto uses the Docker engine that \
            DOCKER_HOST or the docker context points at (one that does not answer is an error), else the \
            first that answers at the usual sockets (Docker, Finch, Podman, Docker Desktop, Colima), else \
            the OCI store, and says which in its first line. A template that brings its own base images or \
            emulator (Metadata.Prewarm, e.g. the quickstart's stand-ins) builds into the OCI store beside it \
            (.prewarm/oci) unless --oci-store, --engine docker, --docker-host or --load says otherwise.

            The template is found as sam local finds it: given, else $SAM_TEMPLATE_FILE, else samconfig.toml's \
            template_file, else .aws-sam/build/template.yaml (after sam build: the built code and layers), \
            template.yaml, template.yml, template.json. The first line says which.

            Examples:
              sam build && prewarm build --for-sam   # then: sam local invoke --config-file .prewarm/sam/samconfig.toml
              prewarm build template.yaml
              prewarm build template.yaml --arch x86_64,arm64 --jobs 4 --progress json
              prewarm build --resume                 # after a failed or interrupted run
              DOCKER_HOST=unix://$HOME/.colima/docker.sock prewarm build
              prewarm build --engine oci --load      # build without the daemon, then load into Docker
              prewarm build --cache-from reg.example.com/team/cache --cache-to reg.example.com/team/cache
              prewarm build --arch x86_64,arm64 --push reg.example.com/team/lambda-images
              prewarm build --engine oci --shard 2/4 --cache-to reg.example.com/team/cache   # runner 2 of 4

            Exit codes: 0 every image built or up to date; 1 some node failed (the others were still \
            built); 2 unusable input (template, flags, no engine, no emulator, missing AWS credentials, \
            unusable journal); 130 interrupted (Ctrl-C, SIGTERM): what finished is recorded, and \
            --resume continues.

            From Swift, the same build is BuildSession in the PrewarmRun library, made from a \
            BuildConfiguration with a property for each of these flags (README: "Use as a library").
            """
    )

    @OptionGroup var inputs: BuildInputOptions

    @OptionGroup(title: "sam local") var forSAM: ForSAMOptions

    @Option(
        name: [.customShort("j"), .customLong("jobs")],
        help:
            "Image builds at once (default: the number of cores, \(ProcessInfo.processInfo.activeProcessorCount) here)."
    )
    var jobs: Int?

    @Option(name: .customLong("download-jobs"), help: "Layer downloads and base-image pulls at once (default: 8).")
    var downloadJobs: Int?

    @Option(help: "Retries of a transient failure (connection reset, engine busy), with backoff.")
    var retries: Int = 2

    @Flag(
        name: .customLong("fail-fast"),
        help: "Stop at the first failure instead of building everything that does not depend on it.")
    var failFast = false

    @Flag(name: .customLong("force-image-build"), help: "Build every image again, even when it is up to date.")
    var forceImageBuild = false

    @Flag(help: "Continue the latest unfinished run of this template: verified results are kept, the rest is done.")
    var resume = false

    @Option(
        help: ArgumentHelp(
            "Build only part K of N of the images (images that share layers kept together, costs balanced; "
                + "computed from the template alone, the same on every machine), so that N CI runners split one "
                + "template; share their results with --cache-to/--cache-from. prewarm plan --shards N shows it.",
            valueName: "K/N"))
    var shard: Shard?

    @Option(
        help: ArgumentHelp(
            "Progress: auto (tty on a terminal, else plain), tty (a live view of what runs now), plain (a line "
                + "per finished node), or json (JSON lines). Colour only on a terminal, never with NO_COLOR. The "
                + "live view marks each finished node ✓ built, = up to date, ✗ failed, - skipped, ! interrupted; "
                + "▸ heads what runs now.",
            valueName: "mode"))
    var progress: ProgressMode = .auto

    @Option(
        name: .customLong("metadata-file"),
        help: ArgumentHelp(
            "Write one JSON document about the build to this file when it ends (as docker buildx bake "
                + "--metadata-file): the run's number, outcome and times, and per function its image, image ID "
                + "(and manifest digest in the OCI store), architecture and outcome.",
            valueName: "file"))
    var metadataFile: String?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if let downloadJobs, downloadJobs < 1 { throw ValidationError("--download-jobs must be at least 1") }
        guard retries >= 0 else { throw ValidationError("--retries cannot be negative") }
    }

    /// The flags, as the library takes them.
    func configuration() throws -> BuildConfiguration {
        var configuration = try inputs.configuration()
        forSAM.apply(to: &configuration)
        if let jobs { configuration.limits.jobs = jobs }
        if let downloadJobs { configuration.limits.downloadJobs = downloadJobs }
        configuration.limits.retries = retries
        configuration.limits.failFast = failFast
        configuration.images.force = forceImageBuild
        configuration.resume.enabled = resume
        // --resume continues with the interrupted run's options; flags given again win.
        configuration.resume.overrides = explicitOptions
        configuration.images.shard = shard
        return configuration
    }

    /// The options of this command line that a resumed run takes from the run it resumes, and that
    /// are given again here (so they win).
    var explicitOptions: Set<BuildSession.ResumedOption> {
        var given: Set<BuildSession.ResumedOption> = []
        if !inputs.template.architectures.isEmpty { given.insert(.architectures) }
        if !inputs.template.functions.isEmpty { given.insert(.functions) }
        if jobs != nil { given.insert(.jobs) }
        if downloadJobs != nil { given.insert(.downloadJobs) }
        if inputs.skipPullImage { given.insert(.pull) }
        if forceImageBuild { given.insert(.force) }
        return given
    }

    static func flag(for option: BuildSession.ResumedOption) -> String {
        switch option {
        case .architectures: "--arch"
        case .functions: "--function"
        case .jobs: "--jobs"
        case .downloadJobs: "--download-jobs"
        case .pull: "--skip-pull-image"
        case .force: "--force-image-build"
        }
    }

    func run() async throws {
        if let metadataFile {
            // Said before anything is built, not after.
            let directory = URL(fileURLWithPath: metadataFile).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw CommandFailure(
                    message: "--metadata-file \(metadataFile): cannot write it: no directory \(directory)",
                    exitCode: .unusableInput)
            }
        }
        let configuration = try configuration()
        let session = try await BuildSession(configuration)
        let output = BuildOutput(progress: progress)
        let task = Task { try await session.run(events: output.handle) }
        let interrupts = InterruptHandler(say: output.message) { task.cancel() }
        // The live view's clocks move between events too.
        let ticker = Task {
            while !Task.isCancelled {
                if let reporter = output.reporter {
                    guard reporter.mode == .tty else { return }
                    reporter.tick()
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        defer { ticker.cancel() }
        let report = try await task.value
        ticker.cancel()
        if let metadataFile {
            let journalPath = BuildConfiguration.journalPath(
                configuration.journalPath, forTemplate: report.plan.template)
            try await BuildMetadata(report, journal: try? await Journal(path: journalPath)).write(to: metadataFile)
        }
        if !report.summary.cancelled, !interrupts.wasInterrupted, let store = report.ociStore,
            report.loadedInto == nil, !report.images.isEmpty
        {
            Console.write("prewarm: \(report.images.count) image(s) are in the OCI store at \(store)")
            Console.write(
                "prewarm: for sam local, load them into Docker: add --load to this command, or run "
                    + "`prewarm export --format docker -o images.tar "
                    + "\(report.images.count == 1 ? report.images[0] : "IMAGE…")` and `docker load -i images.tar`")
        }
        if report.summary.cancelled || interrupts.wasInterrupted {
            Console.error("interrupted; run `prewarm build --resume` to continue")
            throw ExitStatus.interrupted.exitCode
        }
        if !report.succeeded { throw ExitStatus.partialFailure.exitCode }
    }
}

/// Prints a build session's events: progress on standard output, the rest on standard error. The progress
/// reporter is made when the plan arrives (`BuildEvent.planned`); events come from several tasks.
struct BuildOutput: Sendable {
    /// The engines' output lines, shown with `--debug`.
    static let engineLog = Logger(label: "prewarm.engine")

    let progress: ProgressMode
    /// When the build started, for the reporter's clocks.
    private let start = ContinuousClock.now
    /// The plan and its reporter, once planned.
    private let planned: Locked<(plan: Plan, reporter: ProgressReporter)?> = Locked(nil)

    init(progress: ProgressMode) {
        self.progress = progress
    }

    /// The progress reporter, once the plan arrived.
    var reporter: ProgressReporter? { planned.withLock { $0?.reporter } }

    /// Writes `line` (a message for people) to standard error: above the live view when there is one.
    func message(_ line: Message) {
        if let reporter { reporter.message(line) } else { Console.write(line) }
    }

    func handle(_ event: BuildEvent) {
        switch event {
        case .engineChosen(let engine, let reason):
            // The first line says which engine, and why when --engine auto chose it.
            let why =
                switch reason {
                case .dockerFound(let origin): " (--engine auto: \(origin))"
                case .noDockerEngine: " (--engine auto: no Docker engine is set and none answers at the usual sockets)"
                case .templateSupplied:
                    " (--engine auto: the template brings its own base images or emulator in Metadata.Prewarm, "
                        + "so its images stay beside it; --engine docker or --load puts them into Docker)"
                case nil: ""
                }
            Console.write("prewarm: engine: \(engine)\(why)")
        case .note(let note):
            Console.write("prewarm: \(note)")
        case .planned(let plan):
            Console.report(plan, listingSkipped: true)
            let reporter = ProgressReporter(mode: progress, plan: plan, start: start)
            planned.withLock { $0 = (plan, reporter) }
        case .layerDownloads(let count, let first, let source, let cache):
            let more = count > 1 ? " and \(count - 1) more" : ""
            Console.write(
                "prewarm: layers: \(count) to download (\(first)\(more)) with AWS credentials from \(source), "
                    + "into \(cache)")
        case .resumedOptions(let run, let taken, let overridden):
            if !taken.isEmpty {
                Console.write(
                    "prewarm: resuming run \(run) with its options: \(taken.map(BuildCommand.flag(for:)).joined(separator: ", "))"
                )
            }
            if !overridden.isEmpty {
                Console.write(
                    """
                    prewarm: given again, so these override run \(run)'s: \
                    \(overridden.map(BuildCommand.flag(for:)).joined(separator: ", "))
                    """)
            }
        case .resuming(let run, let outcome):
            Console.write("prewarm: resuming run \(run) (\(outcome.rawValue))")
        case .nothingToResume:
            Console.write("prewarm: nothing to resume (the latest run succeeded); checking that it is all still there")
        case .node(let event):
            reporter?.handle(event)
        case .output(let node, let line):
            // What the engine said while building (`--debug`): its build stream, a stale image it kept.
            Self.engineLog.debug("\(node): \(line)")
        case .rewroteDamagedBlob(let node, let blob, let store):
            // Said while the live view may be drawn: above it, which keeps it whole.
            message(
                "prewarm: \(node): blob \(blob) in the OCI store at \(store) was damaged (it no longer hashed to its "
                    + "name); it was written again")
            reporter?.repaired(node: node, blob: blob)
        case .warning(let node, let warning):
            message("prewarm: warning: \(node): \(warning)")
        case .built(let run):
            finish(run)
        case .pushed(let pushed):
            Console.write(
                "prewarm: pushed \(pushed.reference)@\(pushed.digest) (\(pushed.platforms.joined(separator: ", ")))")
        case .loaded(let count, let engine):
            Console.write("prewarm: loaded \(count) image(s) into \(engine)")
        }
    }

    /// The end of the build: journal problems, the summary, and every failure once on standard error,
    /// one line each, as `prewarm plan` prints its errors (the progress has them only among the other events).
    private func finish(_ run: RunReport) {
        for problem in run.journalProblems { Console.warning("journal: \(problem)") }
        if let current = planned.withLock({ $0 }) {
            current.reporter.finish(run, planErrors: current.plan.errors.count)
        }
        for failure in run.failures.failures {
            let names = failure.functions.isEmpty ? "" : " (functions: \(failure.functions.joined(separator: ", ")))"
            Console.error("\(failure.node): \(SettingFlags.render(failure.error))\(names)")
        }
        // A full disk fails every node that writes after it: said once, not once per node.
        let full = run.failures.outOfSpace
        if let first = full.first {
            let functions = Set(full.flatMap(\.functions)).sorted()
            let others = full.count > 1 ? " and \(full.count - 1) more node(s) the same way" : ""
            Console.error(
                "\(first.node): \(SettingFlags.render(first.error))\(others); free space there, then run "
                    + "prewarm build --resume (functions: \(functions.joined(separator: ", ")))")
        }
    }
}
