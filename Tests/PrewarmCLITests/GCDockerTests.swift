import Foundation
import PrewarmTestKit
import Testing

/// `prewarm gc --engine docker`: after a layer edit and a removed function, it lists and removes
/// exactly the images this template's builds left behind, and nothing the plan or another
/// template names.
extension EngineTests {
    @Suite struct GCDockerTests {
        static func template(withBeta: Bool) -> String {
            LocalLayerTests.layersHead + """
                  UsesAlpha:
                    Type: AWS::Serverless::Function
                    Properties: {Layers: [!Ref Alpha]}
                  UsesAlphaArm:
                    Type: AWS::Serverless::Function
                    Properties: {Layers: [!Ref Alpha], Architectures: [arm64]}
                """
                + (withBeta
                    ? "\n  UsesBeta:\n    Type: AWS::Serverless::Function\n    Properties: {Layers: [!Ref Beta]}\n"
                    : "\n")
        }

        /// The image IDs of `names` in the engine (`nil` for a name it lacks).
        static func ids(_ names: [String], host: String) async throws -> [String: String?] {
            var result: [String: String?] = [:]
            for name in names {
                result[name] = try await ImageFiles.inspect(name, host: host, configurationOnly: true)?.id
            }
            return result
        }

        @Test func removesExactlyWhatThisTemplateLeftBehind() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let directory = try TemporaryDirectory("prewarm-gc-docker")
            defer { directory.remove() }
            try directory.write("layers/alpha/python/alpha.py", "alpha = \(UUID().uuidString.debugDescription)\n")
            try directory.write("layers/beta/beta.txt", "beta \(UUID().uuidString)\n")
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\necho x86\n")
            try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\necho arm\n")
            let template = try directory.write("app/template.yaml", Self.template(withBeta: true))
            // Another template, in another directory, with images of its own (its layers have other
            // names, so SAM's image names differ): never this gc's business.
            try directory.write("other/layers/alpha/python/alpha.py", "other = \(UUID().uuidString.debugDescription)\n")
            let other = try directory.write(
                "other/template.yaml", Self.template(withBeta: false).replacingOccurrences(of: "Alpha", with: "Gamma"))
            try directory.write("app/layers/alpha/python/alpha.py", "alpha = \(UUID().uuidString.debugDescription)\n")
            try directory.write("app/layers/beta/beta.txt", "beta \(UUID().uuidString)\n")
            func build(_ template: String) async throws {
                let result = try await PrewarmExecutable.run([
                    "build", template, "--docker-host", host, "--rie-dir", directory.path + "/rie", "--skip-pull-image",
                ])
                #expect(result.status == 0, "\(result.stderr)")
            }
            func plannedNames(_ template: String) async throws -> [String] {
                let plan = try await PrewarmExecutable.run(["plan", template, "--format", "json"])
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
                let functions = try #require(object["functions"] as? [[String: Any]])
                return Array(Set(functions.compactMap { $0["image"] as? String })).sorted()
            }
            try await build(template)
            try await build(other)
            let before = try await Self.ids(try await plannedNames(template), host: host)
            let otherIDs = try await Self.ids(try await plannedNames(other), host: host)
            #expect(before.count == 3 && before.values.allSatisfy { $0 != nil }, "\(before)")

            // A layer edit replaces the two Alpha images (their old ones are left dangling); dropping
            // UsesBeta leaves its image named by no plan.
            try directory.write("app/layers/alpha/python/alpha.py", "alpha = \(UUID().uuidString.debugDescription)\n")
            try directory.write("app/template.yaml", Self.template(withBeta: false))
            try await build(template)
            let after = try await Self.ids(try await plannedNames(template), host: host)
            #expect(after.count == 2)
            let betaName = try #require(before.keys.first { after[$0] == nil })
            var expected: [String: String] = [:]  // image ID → reason
            for (name, id) in before {
                guard let id else { continue }
                if name == betaName {
                    expected[id] = "superseded"
                } else {
                    #expect(after[name] != id, "\(name) was rebuilt")
                    expected[id] = "dangling"
                }
            }

            let dryRun = try await PrewarmExecutable.run([
                "gc", "--engine", "docker", template, "--docker-host", host, "--dry-run",
            ])
            #expect(dryRun.status == 0, "\(dryRun.stderr)")
            var listed: [String: String] = [:]
            for line in dryRun.stdout.split(separator: "\n") where line.hasPrefix("would remove ") {
                let words = line.split(separator: " ")
                guard words.count >= 4, words[3].hasPrefix("sha256:") else { continue }
                listed[String(words[3])] = String(words[2])
            }
            let expectedShort = Dictionary(uniqueKeysWithValues: expected.map { (String($0.key.prefix(19)), $0.value) })
            #expect(listed == expectedShort, "\(dryRun.stdout)")
            // A dry run removes nothing.
            for id in expected.keys { #expect(try await ImageFiles.exists(id, host: host)) }

            let gc = try await PrewarmExecutable.run(["gc", "--engine", "docker", template, "--docker-host", host])
            #expect(gc.status == 0, "\(gc.stderr)")
            #expect(gc.stdout.contains("removed \(expected.count) image(s)"), "\(gc.stdout)")
            for id in expected.keys { #expect(try await !ImageFiles.exists(id, host: host), "\(id) is gone") }
            #expect(try await Self.ids(Array(after.keys), host: host) == after, "every planned image stays")
            #expect(try await Self.ids(Array(otherIDs.keys), host: host) == otherIDs, "the other template's stay")
        }
    }
}
