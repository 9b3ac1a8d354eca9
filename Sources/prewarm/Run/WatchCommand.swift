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
            Watches the template files under the template's directory (nested templates included), every \
            layer directory or zip the template names and, for the template `sam build` wrote, \
            .aws-sam/build.toml. After a change (debounced: it waits until the files stay unchanged for \
            --quiet milliseconds, and until a `sam build` under way has written its template) it plans the \
            template again and builds: only images whose content changed are built, and each build is a run \
            in the journal like any other. A template that cannot be read (saved half-written, or removed by \
            a `sam build` under way) is reported, and the watch goes on: the next good save builds. Stop \
            with Ctrl-C: a build under way is interrupted and recorded, exit 130.

            With --for-sam, each build writes the SAM configuration again, as prewarm build --for-sam \
            does: run `sam build` while it watches, and the images and layers sam local will use follow.

            Examples:
              prewarm watch --for-sam       # after sam build: follows each new sam build
              prewarm watch template.yaml --docker-host unix:///run/user/1000/podman/podman.sock
            """)

    @OptionGroup var inputs: BuildInputOptions

    @OptionGroup(title: "sam local") var forSAM: ForSAMOptions

    @Option(
        name: [.customShort("j"), .customLong("jobs")], help: "Image builds at once (default: the number of cores).")
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
        var configuration = try inputs.configuration()
        forSAM.apply(to: &configuration)
        if let jobs { configuration.limits.jobs = jobs }
        return configuration
    }

    func run() async throws {
        let configuration = try configuration()
        let quiet = Duration.milliseconds(quiet)
        // The output of the build under way, if any: the interrupt line goes above its live view.
        let current = Locked<BuildOutput?>(nil)
        let task = Task<Void, any Error> {
            var watcher = SourceWatcher(templatePath: configuration.template.path ?? "template.yaml")
            while !Task.isCancelled {
                var fingerprint = watcher.fingerprint()
                do {
                    // Planned first, so that what the plan reads is watched as it was when it was read.
                    let planned = try await BuildSession(configuration).planned()
                    watcher = SourceWatcher(plan: planned.plan)
                    fingerprint = watcher.fingerprint()
                    let output = BuildOutput(progress: progress)
                    current.withLock { $0 = output }
                    defer { current.withLock { $0 = nil } }
                    let report = try await planned.run(events: output.handle)
                    if report.summary.cancelled { return }
                } catch let error as BuildSessionError where Self.waitsForAnEdit(error) {
                    // A template saved half-written, or removed by a `sam build` under way: the next
                    // good save builds.
                    let message = ExitStatus.failure(for: error)?.message ?? SettingFlags.render(error)
                    Console.error("\(message); waiting for the next change")
                }
                Console.write("prewarm: watching \(watcher.roots.count) place(s) for changes; Ctrl-C stops")
                let (changed, _) = try await watcher.nextChange(since: fingerprint, quiet: quiet)
                let shown = changed.prefix(3).joined(separator: ", ") + (changed.count > 3 ? " …" : "")
                Console.write("prewarm: changed: \(shown); building again")
            }
        }
        let interrupts = InterruptHandler(
            say: { line in
                if let output = current.withLock({ $0 }) { output.message(line) } else { Console.write(line) }
            },
            cancel: { task.cancel() })
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

    /// Whether `error` comes from what the user edits (the template, the plan, the files `--for-sam`
    /// reads), so that watching on makes sense; anything else (no engine, no emulator) ends the watch.
    static func waitsForAnEdit(_ error: BuildSessionError) -> Bool {
        [.template, .plan, .configuration].contains(error.code)
    }
}
