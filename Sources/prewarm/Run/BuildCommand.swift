import ArgumentParser
import Foundation
import PrewarmAWS
import PrewarmHTTP
import PrewarmImage
import PrewarmJournal
import PrewarmLayers
import PrewarmPlan
import PrewarmRun
import PrewarmSupport

/// `prewarm build`: builds every image of the plan in a Docker-compatible engine.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build, concurrently, every image `sam local` will look for, and record the run in the journal.",
        discussion: """
            Each distinct image is built once: the base image, the Lambda runtime interface emulator at \
            /var/rapid/aws-lambda-rie and the function's layers under /opt. No RUN step, so arm64 images \
            build on an x86_64 host without emulation. An image whose name exists with the same build \
            key is not built again. Layers by ARN are downloaded once, verified, into SAM CLI's layer \
            cache (AWS credentials as the AWS CLI finds them).

            Engines: a Docker-compatible engine, where sam local looks, or prewarm's own OCI store \
            (no daemon; --load hands the images to Docker). --engine auto picks Docker when one \
            answers, else the OCI store, and says which in its first line.

            Examples:
              prewarm build template.yaml
              prewarm build template.yaml --arch x86_64,arm64 --jobs 4 --progress json
              prewarm build --resume                 # after a failed or interrupted run
              DOCKER_HOST=unix://$HOME/.colima/docker.sock prewarm build
              prewarm build --engine oci --load      # build without the daemon, then load into Docker
              prewarm build --cache-from reg.example.com/team/cache --cache-to reg.example.com/team/cache
              prewarm build --arch x86_64,arm64 --push reg.example.com/team/lambda-images

            Exit codes: 0 every image built or up to date; 1 some node failed (the others were still \
            built); 2 unusable input (template, flags, no engine, no emulator, missing AWS credentials, \
            unusable journal); 130 interrupted (Ctrl-C, SIGTERM): what finished is recorded, and \
            --resume continues.
            """
    )

    @OptionGroup var template: TemplateOptions
    @OptionGroup var journal: JournalOptions
    @OptionGroup(title: "Engine") var engineOptions: EngineOptions
    @OptionGroup(title: "Layers") var layers: LayerOptions
    @OptionGroup(title: "SAM configuration") var samConfig: SAMConfigOptions

    @Flag(
        name: .customLong("for-sam"),
        help: ArgumentHelp(
            "Also write a SAM configuration under .prewarm/sam/ next to the template (derived templates in which "
                + "each layer defined in the template is a layer by ARN that prewarm put into SAM's layer cache, "
                + "and a samconfig.toml), so that `sam local invoke --config-file PATH` builds nothing; the line "
                + "to use is printed."))
    var forSAM = false

    @Option(help: "Image builds at once. Default: the number of cores.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .customLong("download-jobs"), help: "Layer downloads and base-image pulls at once.")
    var downloadJobs: Int = 8

    @Option(help: "Retries of a transient failure (connection reset, engine busy), with backoff.")
    var retries: Int = 2

    @Flag(
        name: .customLong("fail-fast"),
        help: "Stop at the first failure instead of building everything that does not depend on it.")
    var failFast = false

    @Flag(name: .customLong("skip-pull-image"), help: "Never pull base images: use the engine's copies, as in SAM CLI.")
    var skipPullImage = false

    @Flag(name: .customLong("force-image-build"), help: "Build every image again, even when it is up to date.")
    var forceImageBuild = false

    @Flag(help: "Continue the latest unfinished run of this template: verified results are kept, the rest is done.")
    var resume = false

    @Option(
        name: .customLong("rie-dir"),
        help: ArgumentHelp(
            "A directory holding aws-lambda-rie-x86_64 / aws-lambda-rie-arm64. Default: $PREWARM_RIE_DIR, else SAM CLI's own copy.",
            valueName: "dir"))
    var rieDirectory: String?

    @Option(help: "Progress output: plain (a line per node event) or json (JSON lines).")
    var progress: ProgressFormat = .plain

    enum ProgressFormat: String, ExpressibleByArgument, CaseIterable {
        case plain, json
    }

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        guard downloadJobs >= 1 else { throw ValidationError("--download-jobs must be at least 1") }
        guard retries >= 0 else { throw ValidationError("--retries cannot be negative") }
        if engineOptions.engine == .docker, engineOptions.needsOCIStore {
            throw ValidationError(
                "--push, --cache-from, --cache-to, --registry-mirror and --load work with --engine oci, not docker")
        }
    }

    func run() async throws {
        let (plan, sam) = try await samAwarePlan()
        let environment = sam.environment
        let skipPullImage = sam.skipPull
        let emulators = EmulatorLocator(
            directory: rieDirectory ?? plan.settings.emulatorDirectory,
            directorySource: rieDirectory != nil ? "--rie-dir" : "the template's Metadata.Prewarm.EmulatorDirectory",
            environment: environment)
        do {
            for architecture in Set(plan.functions.map(\.architecture)) {
                _ = try emulators.emulator(for: architecture.rawValue)
            }
        } catch let error as ImageError {
            throw CommandFailure(message: error.description, exitCode: .unusableInput)
        }
        let setup = try await makeEngine(plan, environment: environment)
        let engine = setup.engine
        // The first line says which engine, and why when --engine auto chose it.
        Console.write("prewarm: engine: \(engine.description)\(setup.why.map { " (\($0))" } ?? "")")
        for note in setup.notes { Console.write("prewarm: \(note)") }
        Console.report(plan, listingSkipped: true)
        reportSAMBuilds(plan, context: sam)
        let layerProvider = try prepareLayers(plan, environment: environment)

        let templatePath = URL(fileURLWithPath: plan.template).standardizedFileURL.path
        let journal = try await self.journal.open(forTemplate: plan.template, create: true)
        var options = RunOptionsJSON(
            arch: template.architectures, functions: template.functions, jobs: jobs, downloadJobs: downloadJobs,
            pull: !skipPullImage, force: forceImageBuild, resumeOf: nil, engine: engine.description)
        if resume {
            // Everything the earlier run finished is found up to date below (its image still
            // exists with the same content key) and is not done again; the rest runs.
            do {
                if let previous = try await journal.latestUnfinishedRun(templatePath: templatePath) {
                    options.resumeOf = previous.id.rawValue
                    Console.write("prewarm: resuming run \(previous.id) (\(previous.outcome.rawValue))")
                } else {
                    Console.write(
                        "prewarm: nothing to resume (the latest run succeeded); checking that it is all still there")
                }
            } catch let error as JournalError {
                throw CommandFailure(message: error.message, exitCode: .unusableInput)
            }
        }

        let work = FileManager.default.temporaryDirectory.appendingPathComponent("prewarm-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        var buildOptions = BuildOptions(
            pull: !skipPullImage, forceRebuild: forceImageBuild, workDirectory: work, prewarmVersion: Prewarm.version)
        buildOptions.localBases = setup.localBases
        let reporter = ProgressReporter(mode: progress == .json ? .json : .plain, total: plan.graph.nodes.count)
        let executor = EngineExecutor(
            engine: engine, emulators: emulators,
            options: buildOptions, layers: layerProvider, cache: setup.cache)
        let buildRun = BuildRun(
            plan: plan, templatePath: templatePath, optionsJSON: JSONText.line(options),
            prewarmVersion: Prewarm.version,
            scheduler: Scheduler(
                options: SchedulerOptions(jobs: jobs, downloadJobs: downloadJobs, retries: retries, failFast: failFast))
        )

        let task = Task { try await buildRun.run(executor: executor, journal: journal, events: reporter.handle) }
        let interrupts = InterruptHandler { task.cancel() }
        let report: BuildRun.Report
        do {
            report = try await task.value
        } catch let error as JournalError {
            throw CommandFailure(message: error.message, exitCode: .unusableInput)
        }
        for problem in report.journalProblems { Console.warning("journal: \(problem)") }
        print(reporter.summary(report.summary, runID: report.runID.description, planErrors: plan.errors.count))
        // Every failure once on standard error, one line each, as `prewarm plan` prints its
        // errors: the progress on standard output has them only among the other events.
        for node in plan.graph.nodes {
            if case .failed(let message) = report.summary.outcomes[node.id] { Console.error("\(node.id): \(message)") }
        }
        if !report.summary.cancelled, !interrupts.wasInterrupted, let store = setup.store {
            try await afterOCIBuild(plan, store: store, outcomes: report.summary.outcomes, setup: setup)
        }
        if report.summary.cancelled || interrupts.wasInterrupted {
            Console.error("interrupted; run `prewarm build --resume` to continue")
            throw ExitStatus.interrupted.exitCode
        }
        if report.summary.failed + report.summary.skipped > 0 || !plan.errors.isEmpty {
            throw ExitStatus.partialFailure.exitCode
        }
    }
}

extension BuildCommand {
    /// The layer cache, and Lambda when some layer by ARN is not in it: credentials and endpoint are
    /// resolved here, before any work starts, so that a missing credential is one error naming the layer.
    func prepareLayers(_ plan: Plan, environment: [String: String]) throws -> LayerFetcher {
        let store = LayerStore(
            baseDirectory: layers.cacheDirectory(environment: environment), maxExpandedSize: layers.maxSize.bytes)
        let (verified, missing) = LayerFetcher.verifiedLayers(of: plan.graph, in: store)
        for layer in verified.values.sorted(by: { $0.name < $1.name }) where !layer.verifiedByPrewarm {
            Console.write(
                "prewarm: layers: \(layer.name): used as SAM CLI downloaded it into \(store.baseDirectory); not "
                    + "verified by prewarm (no record of its zip's SHA-256)")
        }
        guard let first = missing.first else {
            return LayerFetcher(store: store, lambda: nil, verified: verified)
        }
        let aws = AWSEnvironment(environment: environment)
        do {
            let credentials = try aws.resolveCredentials(for: first.text)
            for layer in missing { _ = try aws.lambdaEndpoint(region: layer.region) }
            let http = HTTPClient(configuration: try aws.httpConfiguration())
            let lambda = LambdaClient(http: http, credentials: credentials, environment: aws)
            let more = missing.count > 1 ? " and \(missing.count - 1) more" : ""
            Console.write(
                "prewarm: layers: \(missing.count) to download (\(first.samName)\(more)) with AWS credentials from "
                    + "\(credentials.source), into \(store.baseDirectory)")
            return LayerFetcher(store: store, lambda: lambda, verified: verified)
        } catch let error as AWSError {
            throw CommandFailure(message: error.message, exitCode: .unusableInput)
        }
    }
}

/// The options of a run, as recorded in the journal.
struct RunOptionsJSON: Encodable {
    var arch: [String]
    var functions: [String]
    var jobs: Int
    var downloadJobs: Int
    var pull: Bool
    var force: Bool
    var resumeOf: Int64?
    /// Which engine, and where.
    var engine: String
}
