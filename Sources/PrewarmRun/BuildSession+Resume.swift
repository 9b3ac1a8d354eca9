import Foundation
import PrewarmJournal
import PrewarmPlan
import PrewarmSupport

/// What a resumed build takes over from the run it resumes: the options that decide what is
/// built and how, as the journal recorded them.
extension BuildSession {
    /// An option of a build that a resumed build takes from the run it resumes.
    public enum ResumedOption: String, Sendable, Hashable, CaseIterable {
        case architectures, functions, jobs, downloadJobs, pull, force
    }

    /// The run a build with `resume` continues, and the configuration it continues it with.
    public struct Resumption: Sendable {
        /// The run resumed.
        public var run: RunID
        /// The configuration asked for, with the recorded options of `run` but for those in
        /// `BuildConfiguration.resumeOverrides`: the one the session built with.
        public var configuration: BuildConfiguration
        /// The recorded options now in force (those that differ from the ones asked for), by name.
        public var taken: [ResumedOption]
        /// The options given again (`resumeOverrides`), whose new values win over the recorded ones.
        public var overridden: [ResumedOption]
        /// The images `run` built, by node ID (their image IDs): with `force`, they are not built again
        /// while they are still there as built.
        package var builtImages: [NodeID: String]
    }

    /// For a configuration with `resume`, of the template at `template` (as found): the latest unfinished run
    /// of that template, and the configuration that resumes it with that run's recorded options
    /// (architectures, functions, jobs, pulls, force). Options in `resumeOverrides` were given again and keep
    /// `configuration`'s values.
    ///
    /// - Returns: `nil` when `resume` is off, or the journal has no unfinished run of the template.
    /// - Throws: `BuildSessionError` with code `.journal` when the journal cannot be read.
    package static func resumption(of configuration: BuildConfiguration, templatePath template: String) async throws
        -> Resumption?
    {
        guard configuration.resume.enabled else { return nil }
        let explicit = configuration.resume.overrides
        let path = BuildConfiguration.journalPath(configuration.journalPath, forTemplate: template)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let run: RunRecord?
        var built: [NodeID: String] = [:]
        do {
            let journal = try await Journal(path: path)
            run = try await journal.latestUnfinishedRun(
                templatePath: URL(fileURLWithPath: template).standardizedFileURL.path)
            if let run, let detail = try await journal.run(run.id) {
                for node in detail.nodes where node.kind == .image && node.state == .succeeded {
                    if let digest = node.output?.digest { built[node.nodeID] = digest }
                }
            }
        } catch let error as JournalError {
            throw BuildSessionError(.journal, error.text, remedy: .change(.journalPath), cause: error)
        }
        guard let run, let recorded = RecordedRunOptions(json: run.optionsJSON) else { return nil }
        var resumed = configuration
        var taken: [ResumedOption] = []
        func take(_ option: ResumedOption, differs: Bool, _ apply: () -> Void) {
            guard !explicit.contains(option), differs else { return }
            apply()
            taken.append(option)
        }
        if let arch = recorded.arch {
            let architectures = arch.compactMap(Architecture.init(name:))
            take(.architectures, differs: !architectures.isEmpty) { resumed.images.architectures = architectures }
        }
        if let functions = recorded.functions {
            take(.functions, differs: !functions.isEmpty) { resumed.images.functions = functions }
        }
        if let jobs = recorded.jobs {
            take(.jobs, differs: jobs != configuration.limits.jobs) { resumed.limits.jobs = jobs }
        }
        if let downloadJobs = recorded.downloadJobs {
            take(.downloadJobs, differs: downloadJobs != configuration.limits.downloadJobs) {
                resumed.limits.downloadJobs = downloadJobs
            }
        }
        if let pull = recorded.pull {
            take(.pull, differs: pull != configuration.images.pull) { resumed.images.pull = pull }
        }
        if let force = recorded.force {
            take(.force, differs: force != configuration.images.force) { resumed.images.force = force }
        }
        return Resumption(
            run: run.id, configuration: resumed, taken: taken,
            overridden: ResumedOption.allCases.filter(explicit.contains), builtImages: built)
    }
}
