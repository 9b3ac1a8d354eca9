import ArgumentParser
import Foundation
import PrewarmRun
import PrewarmSupport

/// `prewarm watch`: builds, then builds again whenever the template or a local layer changes.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Build, then rebuild the affected images whenever the template or a local layer changes.",
        discussion: """
            Watches the template files under the template's directory (nested templates included) and \
            every layer directory or zip the template names. After a change (debounced: it waits until \
            the files stay unchanged for --quiet milliseconds) it plans the template again and builds: \
            only images whose content changed are built, and each build is a run in the journal like any \
            other. Stop with Ctrl-C: a build under way is interrupted and recorded, exit 130.

            Examples:
              prewarm watch
              prewarm watch template.yaml --docker-host unix:///run/user/1000/podman/podman.sock
            """)

    @OptionGroup var template: TemplateOptions
    @OptionGroup var journal: JournalOptions
    @OptionGroup(title: "Engine") var engineOptions: EngineOptions
    @OptionGroup(title: "Layers") var layers: LayerOptions

    @Option(
        name: .customLong("rie-dir"),
        help: ArgumentHelp(
            "A directory holding aws-lambda-rie-x86_64 / aws-lambda-rie-arm64. Default: $PREWARM_RIE_DIR, else SAM "
                + "CLI's own copy.",
            valueName: "dir"))
    var rieDirectory: String?

    @Flag(name: .customLong("skip-pull-image"), help: "Never pull base images: use the engine's copies, as in SAM CLI.")
    var skipPullImage = false

    @Option(help: "Image builds at once (default: the number of cores).")
    var jobs: Int?

    @Option(help: "How long the files must stay unchanged before a rebuild, in milliseconds.")
    var quiet: Int = 500

    @Option(help: ArgumentHelp("Progress: auto, tty, plain or json, as for prewarm build.", valueName: "mode"))
    var progress: ProgressMode = .auto

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        guard quiet >= 0 else { throw ValidationError("--quiet cannot be negative") }
    }

    func configuration() throws -> BuildConfiguration {
        var configuration = try template.configuration()
        engineOptions.apply(to: &configuration)
        configuration.emulatorDirectory = rieDirectory
        configuration.layerCacheDirectory = layers.cacheDirectory
        configuration.maxLayerSize = layers.maxSize.bytes
        if let jobs { configuration.jobs = jobs }
        configuration.pull = !skipPullImage
        configuration.journalPath = journal.path
        configuration.prewarmVersion = Prewarm.version
        return configuration
    }

    func run() async throws {
        let configuration = try configuration()
        let quiet = Duration.milliseconds(quiet)
        let task = Task<Void, any Error> {
            var fingerprint: [String: String] = [:]
            while !Task.isCancelled {
                let session = try await BuildSession(configuration)
                let watcher = SourceWatcher(plan: session.plan)
                fingerprint = watcher.fingerprint()
                let reporter = ProgressReporter(mode: progress, plan: session.plan)
                let report = try await session.run(events: BuildOutput(plan: session.plan, reporter: reporter).handle)
                if report.summary.cancelled { return }
                Console.write("prewarm: watching \(watcher.roots.count) place(s) for changes; Ctrl-C stops")
                let (changed, _) = try await watcher.nextChange(since: fingerprint, quiet: quiet)
                let shown = changed.prefix(3).joined(separator: ", ") + (changed.count > 3 ? " …" : "")
                Console.write("prewarm: changed: \(shown); building again")
            }
        }
        let interrupts = InterruptHandler { task.cancel() }
        do {
            try await task.value
        } catch is CancellationError {
        } catch  where interrupts.wasInterrupted {
        }
        if interrupts.wasInterrupted || task.isCancelled {
            Console.error("interrupted; stopped watching")
            throw ExitStatus.interrupted.exitCode
        }
    }
}
