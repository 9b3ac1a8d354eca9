import Foundation
import PrewarmTestKit
import Testing

/// Template layers are keyed by their content: an unchanged one rebuilds nothing, a changed
/// one rebuilds exactly the images that use it.
extension EngineTests {
    @Suite struct LocalLayerTests {
        /// A template's head with two template layers, Alpha (`layers/alpha`) and Beta (`layers/beta`), and
        /// python3.12 functions by default; the tests that use it add their functions.
        static let layersHead = """
            Transform: AWS::Serverless-2016-10-31
            Globals:
              Function: {Handler: app.handler, CodeUri: src/, Runtime: python3.12}
            Resources:
              Alpha:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: layers/alpha}
              Beta:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: layers/beta}

            """

        static let template =
            layersHead + """
                  UsesAlpha:
                    Type: AWS::Serverless::Function
                    Properties: {Layers: [!Ref Alpha]}
                  UsesBeta:
                    Type: AWS::Serverless::Function
                    Properties: {Layers: [!Ref Beta]}
                  UsesBoth:
                    Type: AWS::Serverless::Function
                    Properties: {Layers: [!Ref Alpha, !Ref Beta], Architectures: [arm64]}
                  UsesNone:
                    Type: AWS::Serverless::Function
                """

        /// The image nodes a `--progress json` run reported as built.
        static func builtImages(_ output: String) -> Set<String> {
            var built: Set<String> = []
            for line in output.split(separator: "\n") {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    object["event"] as? String == "finished", object["kind"] as? String == "image",
                    object["outcome"] as? String == "built", let node = object["node"] as? String
                else { continue }
                built.insert(node)
            }
            return built
        }

        @Test func aChangedLayerRebuildsExactlyTheImagesThatUseIt() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let directory = try TemporaryDirectory("prewarm-local-layers")
            defer { directory.remove() }
            try directory.write("layers/alpha/python/alpha.py", "alpha = 1\n")
            try directory.write("layers/beta/beta.txt", "beta\n")
            let unique = UUID().uuidString
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\necho \(unique)\n")
            try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\necho \(unique)\n")
            let template = try directory.write("template.yaml", Self.template)
            let build = [
                "build", template, "--progress", "json", "--docker-host", host, "--rie-dir", directory.path + "/rie",
                "--skip-pull-image",
            ]

            let first = try await PrewarmExecutable.run(build)
            #expect(first.status == 0, "\(first.stderr)")
            let all = Self.builtImages(first.stdout)
            #expect(all.count == 4, "\(all)")

            let unchanged = try await PrewarmExecutable.run(build)
            #expect(unchanged.status == 0, "\(unchanged.stderr)")
            #expect(Self.builtImages(unchanged.stdout).isEmpty)

            // A new mode is a change too, as is new content.
            chmod(directory.path + "/layers/alpha/python/alpha.py", 0o755)
            let changed = try await PrewarmExecutable.run(build)
            #expect(changed.status == 0, "\(changed.stderr)")
            let rebuilt = Self.builtImages(changed.stdout)
            #expect(rebuilt.count == 2, "\(rebuilt)")
            #expect(rebuilt.allSatisfy { node in !node.contains("rapid") }, "images without layers stay: \(rebuilt)")

            try directory.write("layers/beta/beta.txt", "beta, changed\n")
            let changedBeta = try await PrewarmExecutable.run(build)
            #expect(changedBeta.status == 0, "\(changedBeta.stderr)")
            let rebuiltBeta = Self.builtImages(changedBeta.stdout)
            #expect(rebuiltBeta.count == 2, "\(rebuiltBeta)")
            #expect(rebuiltBeta != rebuilt, "UsesBeta and UsesBoth, not UsesAlpha")
            #expect(rebuiltBeta.intersection(rebuilt).count == 1, "only UsesBoth is in both: \(rebuilt) \(rebuiltBeta)")
        }
    }
}
