import Foundation
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
