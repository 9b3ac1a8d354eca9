import Foundation
import PrewarmTestKit
import Testing

/// The JSON documents of one run speak one vocabulary: progress, `runs` and `status` give the
/// run the same ID, of the same type; a node ends with the same word in progress and in status;
/// every document says its `schemaVersion`.
extension EngineTests {
    @Suite struct JSONVocabularyTests {
        static func json(_ text: some StringProtocol) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        }

        @Test func progressRunsAndStatusAgree() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let directory = try TemporaryDirectory("prewarm-vocabulary")
            defer { directory.remove() }
            try directory.write("layers/a/python/a.py", "a = \(UUID().uuidString.debugDescription)\n")
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\n")
            let template = try directory.write(
                "template.yaml",
                """
                Transform: AWS::Serverless-2016-10-31
                Resources:
                  Shared:
                    Type: AWS::Serverless::LayerVersion
                    Properties: {ContentUri: layers/a}
                  WithLayer:
                    Type: AWS::Serverless::Function
                    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/, Layers: [!Ref Shared]}
                  Plain:
                    Type: AWS::Serverless::Function
                    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
                """)
            let build = [
                "build", template, "--docker-host", host, "--rie-dir", directory.path + "/rie", "--skip-pull-image",
                "--progress", "json",
            ]
            _ = try await PrewarmExecutable.run(build)  // makes one image up to date for the second run
            let result = try await PrewarmExecutable.run(build + ["--force-image-build"])
            #expect(result.status == 0, "\(result.stderr)")
            let lines = try result.stdout.split(separator: "\n").map(Self.json)
            #expect(lines.allSatisfy { $0["schemaVersion"] as? Int == 1 }, "\(lines)")
            let summary = try #require(lines.last { $0["event"] as? String == "summary" })
            let progressRun = try #require(summary["run"] as? Int)
            var progressOutcomes: [String: String] = [:]
            for line in lines where line["event"] as? String == "finished" {
                progressOutcomes[line["node"] as? String ?? ""] = line["outcome"] as? String
            }
            #expect(Set(progressOutcomes.values).isSubset(of: ["built", "up-to-date"]), "\(progressOutcomes)")
            #expect(progressOutcomes.values.contains("built") && progressOutcomes.values.contains("up-to-date"))
            let functions = try #require(summary["functions"] as? [[String: Any]])
            #expect(functions.count == 2)
            for function in functions {
                #expect(function["outcome"] as? String == progressOutcomes[function["node"] as? String ?? ""])
            }

            let runs = try await PrewarmExecutable.run(["runs", template, "--format", "json"])
            let runList = try #require(
                try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])
            #expect(runList.allSatisfy { $0["schemaVersion"] as? Int == 1 })
            #expect(runList.first?["id"] as? Int == progressRun, "the newest run is the progress's run")

            let status = try await PrewarmExecutable.run(["status", "\(progressRun)", template, "--format", "json"])
            let detail = try Self.json(status.stdout)
            #expect(detail["schemaVersion"] as? Int == 1)
            let run = try #require(detail["run"] as? [String: Any])
            #expect(run["id"] as? Int == progressRun)
            let nodes = try #require(detail["nodes"] as? [[String: Any]])
            #expect(nodes.count == progressOutcomes.count)
            for node in nodes {
                let id = node["id"] as? String ?? ""
                #expect(node["outcome"] as? String == progressOutcomes[id], "\(id): \(node)")
                if node["outcome"] as? String == "up-to-date" { #expect(node["error"] == nil, "not an error: \(node)") }
            }

            let plan = try await PrewarmExecutable.run(["plan", template, "--format", "json"])
            #expect(try Self.json(plan.stdout)["schemaVersion"] as? Int == 1)
        }
    }
}
