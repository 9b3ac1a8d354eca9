import Foundation
import PrewarmImage
import PrewarmJournal
import PrewarmPlan
import PrewarmSupport
import PrewarmTemplate

/// One build of a template's images, made from a `BuildConfiguration`: what `prewarm build` does, for
/// any Swift program.
///
/// Making a session only finds the template. `run(events:)` does the rest, the same for every caller:
/// it resolves `resume` (the run to continue, and the recorded options it is continued with, which decide
/// the plan: see `BuildReport.resumption`), reads and plans the template (writing the SAM configuration
/// first with `sam.enabled`), checks that the emulators are there, chooses and sets up the engine (loading
/// the template's base images, opening the OCI store and the registries), resolves AWS credentials when
/// layers by ARN must be downloaded, opens the journal, runs the graph, and pushes or loads the images as
/// configured. It prints nothing: it tells what it does through `BuildEvent`s (the plan is
/// `BuildEvent.planned`), and returns a `BuildReport` (with the plan it built).
///
/// ```swift
/// let session = try await BuildSession(BuildConfiguration(templatePath: "template.yaml"))
/// let report = try await session.run()
/// ```
public struct BuildSession: Sendable {
    /// The configuration asked for. With `resume.enabled`, `run(events:)` builds with the recorded options of
    /// the run it resumes (`BuildReport.resumption`), not these.
    public let configuration: BuildConfiguration
    /// The template's path, as found (see `BuildConfiguration.template.path`).
    let templatePath: String

    /// Finds the template, and checks that it is a file; reading and planning it are `run(events:)`'s.
    ///
    /// - Throws: `BuildSessionError` with code `.template` when there is no template file (its `cause` is the
    ///   `TemplateError`).
    public init(_ configuration: BuildConfiguration) async throws {
        self.configuration = configuration
        do {
            templatePath = try TemplateLoader.locate(configuration.template.path)
            try TemplateDocument.requireFile(templatePath)
        } catch let error as TemplateError {
            throw Self.templateError(error, configuration: configuration)
        }
    }

    /// Resolves `resume`, reads and plans the template, then builds the plan, records the run in the journal,
    /// and pushes and loads the images as configured. Cancelling the calling task interrupts the run: what
    /// finished is recorded, nothing is pushed or loaded, and the report says `summary.cancelled`.
    ///
    /// - Parameter events: receives what the session does, from several tasks at once: the plan as
    ///   `BuildEvent.planned`, before any node.
    /// - Returns: the report, also when some nodes failed (see `BuildReport.succeeded`).
    /// - Throws: `BuildSessionError` when nothing can be built: with code `.template` when the template cannot
    ///   be read at all (its `cause` is the `TemplateError`), `.journal` when `resume` cannot read the journal,
    ///   `.plan` when `functions` names a function the template does not have (its `cause` is the
    ///   `PlanError`; a single function that cannot be planned is not an error: it is in `plan.errors`, and
    ///   the others are built); no emulator, no engine, no credentials for a layer that must be downloaded,
    ///   an unusable journal or configuration; or, with code `.publish`, when the images were built but
    ///   pushing or loading them failed.
    public func run(events: @escaping @Sendable (BuildEvent) -> Void = { _ in }) async throws -> BuildReport {
        try await planned().run(events: events)
    }
}

extension BuildSession {
    /// A session with `resume` resolved and its template planned (``BuildSession/planned()``): what
    /// `run(events:)` builds, and what `prewarm plan`, `doctor` and `gc` read without building.
    package struct Planned: Sendable {
        /// The configuration built with: the session's, or with `resume` the resumed one.
        package let configuration: BuildConfiguration
        /// The plan of the template, as `configuration` asks for it (only its `shard`'s images, with one).
        package let plan: Plan
        /// With a `shard`: which, and how many of the template's images it has, for the reader.
        let shardNote: Message?
        /// With `configuration.sam.enabled`: the SAM configuration written before planning.
        let samReady: SAMReadyConfiguration?
        /// With `resume`: the run continued and the recorded options taken from it; `nil` without `resume`,
        /// or when there is no unfinished run.
        let resumption: Resumption?
    }
}

extension BuildSession.Planned {
    /// Builds the plan, records the run in the journal, then pushes and loads the images as configured
    /// (``BuildSession/run(events:)``, once planned).
    package func run(events: @escaping @Sendable (BuildEvent) -> Void) async throws -> BuildReport {
        if let resumption, !resumption.taken.isEmpty || !resumption.overridden.isEmpty {
            events(.resumedOptions(resumption.run, taken: resumption.taken, overridden: resumption.overridden))
        }
        try validate()
        let emulators = try locateEmulators()
        let setup = try await makeEngine()
        // The OCI store this run opened is closed when the run ends, however it ends.
        defer { setup.store?.close() }
        events(.engineChosen(setup.engine.description, reason: setup.reason))
        for note in setup.notes + [shardNote].compactMap({ $0 }) { events(.note(note)) }
        events(.planned(plan))
        reportSAMBuilds(events: events)
        let layers = try await prepareLayers(events: events)

        let absoluteTemplate = URL(fileURLWithPath: plan.template).standardizedFileURL.path
        let journal = try await openJournal()
        var options = RecordedRunOptions(
            arch: configuration.images.architectures?.map(\.rawValue) ?? [], functions: configuration.images.functions,
            jobs: configuration.limits.jobs, downloadJobs: configuration.limits.downloadJobs,
            pull: configuration.images.pull,
            force: configuration.images.force, engine: setup.engine.description, forSAM: configuration.sam.enabled)
        if configuration.resume.enabled {
            // Everything the earlier run finished is found up to date (its image still exists with the
            // same content key) and is not done again; the rest runs.
            do {
                if let previous = try await journal.latestUnfinishedRun(templatePath: absoluteTemplate) {
                    options.resumeOf = previous.id.rawValue
                    events(.resuming(previous.id, outcome: previous.outcome))
                } else {
                    events(.nothingToResume)
                }
            } catch let error as JournalError {
                throw BuildSessionError(.journal, error.text, remedy: .change(.journalPath), cause: error)
            }
        }

        let scratch: ScratchDirectory
        do {
            scratch = try ScratchDirectory()
        } catch let error as any PrewarmError {
            throw BuildSessionError(.configuration, error.text, cause: error)
        }
        defer { scratch.remove() }
        let work = scratch.path

        var buildOptions = BuildOptions(
            pull: configuration.images.pull, forceRebuild: configuration.images.force, workDirectory: work,
            prewarmVersion: configuration.prewarmVersion)
        buildOptions.localBases = setup.localBases
        buildOptions.templateBringsBases = plan.settings.baseImages != nil
        buildOptions.standInEmulator = emulatorIsStandIn
        buildOptions.templatePath = absoluteTemplate
        buildOptions.resumedImages = resumption?.builtImages ?? [:]
        let executor = EngineExecutor(
            engine: setup.engine, emulators: emulators, options: buildOptions, layers: layers, cache: setup.cache,
            output: { node, line in events(.output(node: node, line: line)) },
            rewroteBlob: { [store = setup.store?.path ?? setup.engine.description] node, blob in
                events(.rewroteDamagedBlob(node: node, blob: blob, store: store))
            },
            warning: { node, message in events(.warning(node: node, message: message)) })
        var buildRun = BuildRun(
            plan: plan, templatePath: absoluteTemplate, optionsJSON: options.json,
            prewarmVersion: configuration.prewarmVersion,
            scheduler: Scheduler(
                options: SchedulerOptions(
                    jobs: configuration.limits.jobs, downloadJobs: configuration.limits.downloadJobs,
                    retries: configuration.limits.retries, failFast: configuration.limits.failFast)))
        buildRun.spellSetting = configuration.spellSetting
        let run: RunReport
        do {
            run = try await buildRun.run(executor: executor, journal: journal) { events(.node($0)) }
        } catch let error as JournalError {
            throw BuildSessionError(.journal, error.text, remedy: .change(.journalPath), cause: error)
        }
        events(.built(run))

        var report = BuildReport(
            runID: run.runID, summary: run.summary, plan: plan, engine: setup.engine.description,
            ociStore: setup.store?.path, images: builtImages(run.summary.outcomes), pushed: [], loadedInto: nil,
            journalProblems: run.journalProblems, resumption: resumption, samReady: samReady)
        if !run.summary.cancelled, !Task.isCancelled, let store = setup.store {
            try await publish(from: store, setup: setup, into: &report, events: events)
        }
        return report
    }

    /// Settings that cannot be used together.
    func validate() throws {
        guard configuration.limits.jobs >= 1, configuration.limits.downloadJobs >= 1, configuration.limits.retries >= 0
        else {
            throw BuildSessionError(
                .configuration, "jobs and downloadJobs must be at least 1, and retries cannot be negative")
        }
        if configuration.engineSelection.engine == .docker || configuration.engineSelection.provided != nil,
            configuration.needsOCIStore
        {
            let engine = configuration.engineSelection.provided?.description ?? "docker"
            throw BuildSessionError(
                .configuration,
                "push, cacheTo, registryMirrors and load work with the OCI store engine, not \(engine)")
        }
    }

    /// The emulator of every architecture of the plan, checked before anything is built.
    func locateEmulators() throws -> EmulatorLocator {
        let emulators = EmulatorLocator(
            directory: configuration.inputs.emulatorDirectory ?? plan.settings.emulatorDirectory,
            directorySource: configuration.inputs.emulatorDirectory != nil
                ? "\(Setting.emulatorDirectory)" : "the template's Metadata.Prewarm.EmulatorDirectory",
            environment: configuration.environment)
        do {
            for architecture in Set(plan.functions.map(\.architecture)) {
                _ = try emulators.emulator(for: architecture.rawValue)
            }
        } catch let error as any PrewarmError {
            throw BuildSessionError(.emulator, error.line, remedy: .change(.emulatorDirectory), cause: error)
        }
        return emulators
    }

    /// Opens the journal, creating its directory.
    func openJournal() async throws -> Journal {
        let path = BuildConfiguration.journalPath(configuration.journalPath, forTemplate: plan.template)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BuildSessionError(
                .journal, "cannot create \(directory) for the journal: \(describeSystemError(error))",
                remedy: .change(.journalPath))
        }
        do {
            return try await Journal(path: path)
        } catch let error as JournalError {
            throw BuildSessionError(.journal, error.text, remedy: .change(.journalPath), cause: error)
        }
    }

    /// The function images whose node succeeded, by name, sorted.
    func builtImages(_ outcomes: [NodeID: NodeOutcome]) -> [String] {
        Array(
            Set(
                plan.functions.compactMap { function -> String? in
                    guard case .succeeded = outcomes[function.nodeID] else { return nil }
                    return function.image
                })
        ).sorted()
    }
}
