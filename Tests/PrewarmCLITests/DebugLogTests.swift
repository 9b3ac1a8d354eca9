import Foundation
import PrewarmTestKit
import Testing

/// `--debug` (or `PREWARM_LOG=debug`): every Engine API request and how it ended, and the engine's own
/// output, on standard error; nothing of it without.
extension EngineTests {
    @Suite struct DebugLogTests {
        @Test func aDockerBuildShowsEachRequestAndTheEnginesOutput() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let directory = try TemporaryDirectory("prewarm-debug")
            defer { directory.remove() }
            try directory.write("layers/l/python/l.py", "value = \(UUID().uuidString.debugDescription)\n")
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\n")
            // A layer of a name no other test uses, so that the image is built here (its engine output shows).
            let layer = "Debug\(UUID().uuidString.prefix(8))"
            let template = try directory.write(
                "template.yaml",
                """
                Resources:
                  \(layer):
                    Type: AWS::Serverless::LayerVersion
                    Properties: {ContentUri: layers/l}
                  Fn:
                    Type: AWS::Serverless::Function
                    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/, Layers: [!Ref \(layer)]}
                """)
            let arguments = [
                "build", template, "--docker-host", host, "--rie-dir", directory.path + "/rie", "--skip-pull-image",
                "--progress", "plain",
            ]
            let debug = try await PrewarmExecutable.run(arguments + ["--debug"])
            #expect(debug.status == 0, "\(debug.stderr)")
            let socket = host.replacingOccurrences(of: "unix://", with: "")
            #expect(debug.stderr.contains("→ GET http://localhost/_ping via unix socket \(socket)"), "\(debug.stderr)")
            #expect(debug.stderr.contains("← GET http://localhost/_ping 200 in"), "\(debug.stderr)")
            #expect(
                debug.stderr.contains("→ POST http://localhost/v1.41/images/load")
                    || debug.stderr.contains("→ POST http://localhost/v1.41/build"), "\(debug.stderr)")
            #expect(debug.stderr.contains("debug prewarm.engine"), "the engine's output: \(debug.stderr)")
            #expect(debug.stderr.contains("Loaded image"), "\(debug.stderr)")

            var environment = ProcessInfo.processInfo.environment
            environment["PREWARM_LOG"] = "debug"
            let fromEnvironment = try await PrewarmExecutable.run(arguments, environment: environment)
            #expect(fromEnvironment.stderr.contains("→ GET http://localhost/_ping"), "\(fromEnvironment.stderr)")

            let quiet = try await PrewarmExecutable.run(arguments)
            #expect(quiet.status == 0, "\(quiet.stderr)")
            #expect(
                !quiet.stderr.contains("prewarm.http") && !quiet.stderr.contains("prewarm.engine"), "\(quiet.stderr)")
        }
    }
}
