import Foundation
import PrewarmTestKit
import Testing

/// Scale-out as a CI matrix does it: four runners each build their shard into one registry cache, and a
/// developer's second checkout, at another absolute path, gets every image into Docker from that cache
/// with one command. Keys hold no absolute path, so the cache CI filled serves the developer.
extension EngineTests {
    @Suite struct ShardCheckoutTests {
        /// A project of twelve functions over six local layers (each function one or two of them).
        static func writeProject(in directory: TemporaryDirectory, at path: String, label: String) throws -> String {
            var yaml = """
                Transform: AWS::Serverless-2016-10-31
                Globals:
                  Function: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
                Resources:

                """
            for layer in 0..<6 {
                yaml += "  \(label)L\(layer):\n    Type: AWS::Serverless::LayerVersion\n"
                yaml += "    Properties: {ContentUri: layers/l\(layer)/}\n"
                try directory.write("\(path)/layers/l\(layer)/python/l\(layer).py", "value = \(layer)\n")
            }
            for function in 0..<12 {
                let first = function % 6
                let layers =
                    function < 6
                    ? "[!Ref \(label)L\(first)]" : "[!Ref \(label)L\(first), !Ref \(label)L\((first + 1) % 6)]"
                yaml += "  Fn\(function):\n    Type: AWS::Serverless::Function\n    Properties: {Layers: \(layers)}\n"
            }
            try directory.write("\(path)/src/app.py", "def handler(event, context):\n    return 1\n")
            return try directory.write("\(path)/template.yaml", yaml)
        }

        @Test func fourShardsBuildEachImageOnceAndASecondCheckoutLoadsThemIntoDocker() async throws {
            guard let registry = OCITest.required("PREWARM_TEST_REGISTRY") else { return }
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let directory = try TemporaryDirectory("prewarm-shard-checkouts")
            defer { directory.remove() }
            // The engine's own python base (ci/services/base-images), in the registry: the quickstart's are
            // stand-ins, which a template that does not bring them never builds on.
            let docker = try #require(OCITest.tool("docker"))
            let base = "\(registry)/\(OCITest.uniqueRepository("shard-bases"))/lambda/python:3.12-x86_64"
            let engine = ["DOCKER_HOST": host]
            try await OCITest.run(
                docker, ["tag", "public.ecr.aws/lambda/python:3.12-x86_64", base], environment: engine)
            try await OCITest.run(docker, ["push", "-q", base], environment: engine)
            try await OCITest.run(docker, ["rmi", base], environment: engine)
            let cache = "\(registry)/\(OCITest.uniqueRepository("shard-cache"))"
            let rie = try OCITest.standInEmulators(in: directory)
            let label = "S\(UUID().uuidString.prefix(6))"
            let template = try Self.writeProject(in: directory, at: "ci/project", label: label)
            let common = ["--invoke-image", base, "--rie-dir", rie, "--progress", "json"]

            // The images of the whole template.
            let plan = try await OCITest.prewarm(
                ["plan", template, "--format", "json", "--invoke-image", base], home: directory)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
            let images = Set(((object["functions"] as? [[String: Any]]) ?? []).compactMap { $0["node"] as? String })
            #expect(images.count == 12, "\(plan.stderr)")

            // Four runners at once, each with its own store, journal and HOME.
            let results = try await withThrowingTaskGroup(of: (Int, CommandResult).self) { group in
                for shard in 1...4 {
                    group.addTask {
                        let runner = directory.path + "/runner\(shard)"
                        let result = try await OCITest.prewarm(
                            [
                                "build", template, "--engine", "oci", "--oci-store", runner + "/store", "--journal",
                                runner + "/journal.sqlite", "--shard", "\(shard)/4", "--cache-to", cache,
                            ] + common, home: directory, environment: ["HOME": runner + "/home"])
                        return (shard, result)
                    }
                }
                var results: [Int: CommandResult] = [:]
                for try await (shard, result) in group { results[shard] = result }
                return results
            }
            var built: [String] = []
            for shard in 1...4 {
                let result = try #require(results[shard])
                #expect(result.status == 0, "shard \(shard): \(result.stderr)")
                built += OCIRegistryTests.builtImages(result.stdout)
            }
            #expect(built.count == images.count, "each image built exactly once: \(built.sorted())")
            #expect(Set(built) == images, "the union is the whole template")

            // A second checkout elsewhere, with its own store, journal and HOME: everything comes from the
            // cache into Docker, nothing is built.
            try FileManager.default.createDirectory(
                atPath: directory.path + "/laptop/work/elsewhere", withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: directory.path + "/ci/project", toPath: directory.path + "/laptop/work/elsewhere/project")
            let laptop = try await OCITest.prewarm(
                [
                    "build", directory.path + "/laptop/work/elsewhere/project/template.yaml", "--engine", "docker",
                    "--docker-host", host, "--cache-from", cache, "--journal",
                    directory.path + "/laptop/journal.sqlite",
                ] + common, home: directory, environment: ["HOME": directory.path + "/laptop/home"])
            #expect(laptop.status == 0, "\(laptop.stderr)")
            #expect(OCIRegistryTests.builtImages(laptop.stdout).isEmpty, "\(laptop.stdout.suffix(600))")
            #expect(OCITest.built(laptop.stdout) == 0, "\(laptop.stdout.suffix(300))")
            for node in images {
                let name = String(node.dropFirst("image:".count))
                #expect(try await ImageFiles.exists(name, host: host), "\(name) is in Docker")
            }
        }
    }
}
