import Foundation
import PrewarmJournal
import PrewarmPlan
import PrewarmRun
import PrewarmSupport
import PrewarmTestKit
import Testing

/// `BuildSession` in process, on a copy of the quickstart, with the OCI store as engine: what it tells,
/// what it returns, and its errors with what to do as data.
@Suite struct BuildSessionTests {
    /// A copy of `examples/quickstart` in `directory`, and a configuration that builds it into a store there.
    static func quickstart(in directory: TemporaryDirectory) throws -> BuildConfiguration {
        try FileManager.default.copyItem(
            atPath: LibraryExampleTests.repository + "/examples/quickstart", toPath: directory.path + "/quickstart")
        var configuration = BuildConfiguration(templatePath: directory.path + "/quickstart/template.yaml")
        configuration.engineSelection.engine = .oci
        configuration.engineSelection.ociStore = directory.path + "/store"
        configuration.environment = ["HOME": directory.path, "PATH": "", "DOCKER_HOST": "unix:///nonexistent.sock"]
        return configuration
    }

    @Test func buildsTheQuickstartThenFindsItUpToDate() async throws {
        let directory = try TemporaryDirectory("prewarm-session")
        defer { directory.remove() }
        let configuration = try Self.quickstart(in: directory)
        let events = Locked<[BuildEvent]>([])
        let first = try await BuildSession(configuration).run { event in events.mutate { $0.append(event) } }
        #expect(first.succeeded)
        #expect(first.images.count == 3)
        #expect(first.ociStore == directory.path + "/store")
        #expect(first.summary.built > 0)
        let told = events.value
        guard case .engineChosen(_, let reason) = told.first else {
            Issue.record("the first event is the engine: \(told)")
            return
        }
        #expect(reason == nil, "engine .oci was asked for, not chosen")
        #expect(told.contains { if case .planned = $0 { true } else { false } })
        #expect(told.contains { if case .built = $0 { true } else { false } })

        let second = try await BuildSession(configuration).run()
        #expect(second.succeeded)
        #expect(second.summary.built == 0, "everything is up to date")
        #expect(second.runID != first.runID)
    }

    /// A library user who asks to resume gets from `run()` alone what `prewarm build --resume` gets: the plan
    /// of the run resumed, with its recorded functions. `run()` resolves `resume`, so a session made before
    /// that run was recorded still resumes it.
    @Test func runResumesWithTheRecordedFunctions() async throws {
        let directory = try TemporaryDirectory("prewarm-session")
        defer { directory.remove() }
        var configuration = try Self.quickstart(in: directory)
        configuration.resume.enabled = true
        let session = try await BuildSession(configuration)

        // A run of only Report that failed, recorded after the session was made.
        let template = try #require(configuration.template.path)
        let journalPath = BuildConfiguration.journalPath(nil, forTemplate: template)
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: journalPath).deletingLastPathComponent().path,
            withIntermediateDirectories: true)
        let earlier: RunID
        do {
            let journal = try await Journal(path: journalPath)
            earlier = try await journal.beginRun(
                templatePath: URL(fileURLWithPath: template).standardizedFileURL.path,
                optionsJSON: RecordedRunOptions(functions: ["Report"]).json, prewarmVersion: "0.0.0-test"
            ).id
            try await journal.finishRun(earlier, outcome: .failed)
        }

        let events = Locked<[BuildEvent]>([])
        let report = try await session.run { event in events.mutate { $0.append(event) } }
        #expect(report.plan.functions.map(\.name) == ["Report"], "only the function the resumed run recorded")
        #expect(report.resumption?.run == earlier)
        #expect(report.resumption?.taken == [.functions])
        #expect(report.succeeded)
        #expect(report.images.count == 1)
        let told = events.value
        let resumed = told.compactMap { event -> RunID? in
            if case .resumedOptions(let run, taken: [.functions], overridden: []) = event { run } else { nil }
        }
        #expect(resumed == [earlier], "\(told)")
        let planned = told.compactMap { event -> Plan? in if case .planned(let plan) = event { plan } else { nil } }
        #expect(planned.map { $0.functions.map(\.name) } == [["Report"]])
    }

    @Test func aMissingTemplateIsATemplateError() async throws {
        let error = await #expect(throws: BuildSessionError.self) {
            _ = try await BuildSession(BuildConfiguration(templatePath: "/nonexistent/template.yaml"))
        }
        #expect(error?.code == .template)
    }

    @Test func noDockerEngineSaysWhichSettingToChange() async throws {
        let directory = try TemporaryDirectory("prewarm-session")
        defer { directory.remove() }
        var configuration = try Self.quickstart(in: directory)
        configuration.engineSelection.engine = .docker
        configuration.engineSelection.dockerHost = "unix://" + directory.path + "/no.sock"
        let session = try await BuildSession(configuration)
        let error = await #expect(throws: BuildSessionError.self) { _ = try await session.run() }
        #expect(error?.code == .engine)
        #expect(error?.remedy == .change(.dockerHost))
        #expect(error?.message.contains(Setting.dockerHost.mention) == true, "\(String(describing: error))")
        #expect(error?.message.contains("--") == false, "a library names no flag")
    }

    @Test func registrySettingsNeedTheOCIStore() async throws {
        let directory = try TemporaryDirectory("prewarm-session")
        defer { directory.remove() }
        var configuration = try Self.quickstart(in: directory)
        configuration.engineSelection.engine = .docker
        configuration.push = "127.0.0.1:1/team/images"
        let error = await #expect(throws: BuildSessionError.self) {
            _ = try await BuildSession(configuration).run()
        }
        #expect(error?.code == .configuration)
    }
}
