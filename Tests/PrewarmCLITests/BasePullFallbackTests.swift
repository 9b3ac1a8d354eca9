import Foundation
import PrewarmTestKit
import Testing

/// `prewarm build` with pulls on, against the test dockerd (`PREWARM_TEST_DOCKER_HOST`), when a base's
/// registry cannot be reached: the base is named on `127.0.0.1:<a closed port>`, so every pull fails at once
/// and nothing leaves the machine. A base the engine holds is used with one warning line; a base it lacks
/// still fails its image (no stand-in is taken instead).
extension EngineTests {
    @Suite struct BasePullFallbackTests {
        typealias App = BuildFaultTests.App
        typealias EngineTool = BuildFaultTests.EngineTool

        @Test func aFailedPullUsesTheBaseTheEngineHasWithOneWarning() async throws {
            guard let host = BuildFaultTests.Engine.dockerd.host() else { return }
            let directory = try TemporaryDirectory("prewarm-pull-fallback")
            defer { directory.remove() }
            let port = try await Self.closedPort()
            let repository = "127.0.0.1:\(port)/prewarm-pull-\(App.uniqueSuffix())"
            let present = "\(repository)/python:3.12-x86_64"
            let absent = "\(repository)/absent:3.12-x86_64"
            let app = try App.write(
                in: directory,
                functions: [
                    .init("Present", "python3.12", "x86_64"),
                    .init("Absent", "nodejs20.x", "x86_64"),
                ])
            let overrides = ["--invoke-image", "Present=\(present)", "--invoke-image", "Absent=\(absent)"]
            let nodes = try await app.plannedImageNodes(overrides)
            let presentNode = try #require(nodes["Present"])
            let absentNode = try #require(nodes["Absent"])
            let tagged = try await EngineTool.run(
                ["tag", "public.ecr.aws/lambda/python:3.12-x86_64", present], at: host)
            try #require(tagged.status == 0, "cannot tag the base: \(tagged.stdout) \(tagged.stderr)")
            let images = [present, presentNode, absentNode].map { $0.replacingOccurrences(of: "image:", with: "") }

            // Pulls on (no --skip-pull-image); one retry, so that a transient pull failure would show.
            let result = try await PrewarmExecutable.run(
                [
                    "build", app.template, "--docker-host", host, "--rie-dir", app.rieDirectory, "--journal",
                    app.journal, "--progress", "json", "--retries", "1",
                ] + overrides, environment: app.environment)
            await EngineTool.remove(images, at: host)

            #expect(result.status == 1, "the absent base fails its image: \(result.stdout)\n\(result.stderr)")
            let events = try EngineRetryTests.events(result.stdout)
            func finished(_ node: String) -> [String: Any]? {
                events.first { $0["event"] as? String == "finished" && $0["node"] as? String == node }
            }
            let presentBase = "base:\(present)@linux/amd64"
            #expect(finished(presentBase)?["outcome"] as? String == "up-to-date", "\(result.stdout)")
            #expect(finished(presentNode)?["outcome"] as? String == "built", "\(result.stdout)")
            #expect(
                !events.contains { $0["event"] as? String == "retrying" && $0["node"] as? String == presentBase },
                "the base the engine has is not pulled again: \(result.stdout)")
            #expect(finished("base:\(absent)@linux/amd64")?["outcome"] as? String == "failed", "\(result.stdout)")
            #expect(finished(absentNode)?["outcome"] as? String == "skipped", "\(result.stdout)")

            let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("prewarm: warning: ") }
            #expect(warnings.count == 1, "one warning, for the base the engine has: \(result.stderr)")
            let warning = String(warnings.first ?? "")
            #expect(warning.contains(presentBase), "names the base: \(warning)")
            #expect(warning.contains("the pull of \(present) failed"), "says the pull failed: \(warning)")
            #expect(warning.contains("copy (sha256:"), "says the local copy is used: \(warning)")
            #expect(!warning.contains("\n"))
        }

        /// A port on 127.0.0.1 that nothing listens on: bound by a short-lived process, then closed.
        static func closedPort() async throws -> Int {
            let python = try #require(CommandRunner.which("python3"))
            let result = try await CommandRunner.run(
                python,
                [
                    "-c",
                    "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])",
                ])
            return try #require(Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
    }
}
