import Foundation
import PrewarmTestKit
import Testing

/// Three `prewarm build` processes started together on one template, journal and engine, round after
/// round: no image is built twice, and every image is the one a single process builds.
///
/// "Built twice" is read from the journal: an image node that two runs both recorded as built
/// (`succeeded`, where a run that found it up to date records `skipped`). The template is quickstart-sized:
/// ten functions, three small layers, both architectures, nine distinct images sharing layers, on the
/// quickstart's stand-in bases (its `Metadata.Prewarm.BaseImages` layout, so nothing is pulled).
///
/// Rounds: `PREWARM_RACE_OCI_ROUNDS` (OCI store) and `PREWARM_RACE_DOCKER_ROUNDS` (the test dockerd,
/// `PREWARM_TEST_DOCKER_HOST`); 3 and 2 when unset. `ci/concurrency-test`, which `ci/test` runs, sets
/// the 50 and 20.
extension EngineTests {
    @Suite struct ConcurrentBuildTests {
        typealias EngineTool = BuildFaultTests.EngineTool

        @Test func threeProcessesOnOneOCIStoreBuildEachImageOnce() async throws {
            let rounds = Self.rounds("PREWARM_RACE_OCI_ROUNDS", default: 3)
            let directory = try TemporaryDirectory("prewarm-race-oci")
            defer { directory.remove() }
            let app = try RaceApp.write(in: directory)
            let images = try await app.imageNodes()
            try #require(images.count == 9, "\(images)")

            func build(_ name: String) -> [String] {
                [
                    "build", app.template, "--engine", "oci", "--oci-store", "\(directory.path)/\(name)/store",
                    "--journal", "\(directory.path)/\(name)/journal.sqlite", "--rie-dir", app.rie, "--progress", "json",
                ]
            }
            let single = try await app.prewarm(build("reference"), home: directory)
            try #require(single.status == 0, "\(single.stderr)")
            let reference = try Self.digests(of: images, in: "\(directory.path)/reference/store")

            for round in 1...rounds {
                let name = "round-\(round)"
                let results = try await app.together(build(name), home: directory)
                for result in results { #expect(result.status == 0, "round \(round): \(result.stderr)") }
                let builds = try await Self.builds(in: "\(directory.path)/\(name)/journal.sqlite")
                #expect(builds.runs == 3, "round \(round): \(builds)")
                #expect(builds.failedRuns == 0, "round \(round): \(builds)")
                #expect(builds.duplicates.isEmpty, "round \(round): built twice: \(builds.duplicates)")
                #expect(Set(builds.built.keys) == Set(images), "round \(round): each image built once: \(builds)")
                let digests = try Self.digests(of: images, in: "\(directory.path)/\(name)/store")
                #expect(digests == reference, "round \(round): the images differ from a single process's")
                try? FileManager.default.removeItem(atPath: "\(directory.path)/\(name)")
                if !builds.duplicates.isEmpty || digests != reference { break }
            }
        }

        @Test func threeProcessesOnOneDockerEngineBuildEachImageOnce() async throws {
            guard let host = BuildFaultTests.Engine.dockerd.host() else { return }
            let rounds = Self.rounds("PREWARM_RACE_DOCKER_ROUNDS", default: 2)
            let directory = try TemporaryDirectory("prewarm-race-docker")
            defer { directory.remove() }
            let app = try RaceApp.write(in: directory)
            let images = try await app.imageNodes()
            let names = images.map { String($0.dropFirst("image:".count)) }
            try #require(images.count == 9, "\(images)")

            func build(_ name: String) -> [String] {
                [
                    "build", app.template, "--engine", "docker", "--docker-host", host, "--skip-pull-image",
                    "--journal", "\(directory.path)/\(name).sqlite", "--rie-dir", app.rie, "--progress", "json",
                ]
            }
            await EngineTool.remove(names, at: host)
            let single = try await app.prewarm(build("reference"), home: directory)
            try #require(single.status == 0, "\(single.stderr)")
            let reference = try await Self.imageIDs(names, at: host)

            for round in 1...rounds {
                await EngineTool.remove(names, at: host)
                let results = try await app.together(build("round-\(round)"), home: directory)
                for result in results { #expect(result.status == 0, "round \(round): \(result.stderr)") }
                let builds = try await Self.builds(in: "\(directory.path)/round-\(round).sqlite")
                #expect(builds.runs == 3 && builds.failedRuns == 0, "round \(round): \(builds)")
                #expect(builds.duplicates.isEmpty, "round \(round): built twice: \(builds.duplicates)")
                #expect(Set(builds.built.keys) == Set(images), "round \(round): each image built once: \(builds)")
                let ids = try await Self.imageIDs(names, at: host)
                #expect(ids == reference, "round \(round): the images differ from a single process's")
                if !builds.duplicates.isEmpty || ids != reference { break }
            }
            await EngineTool.remove(names, at: host)
        }

        // MARK: - Helpers

        /// `$variable` as a count of rounds, else `default`.
        static func rounds(_ variable: String, default count: Int) -> Int {
            ProcessInfo.processInfo.environment[variable].flatMap { Int($0) }.map { max(1, $0) } ?? count
        }

        /// What a round's journal recorded.
        struct Builds: Decodable, CustomStringConvertible {
            var runs: Int
            var failedRuns: Int
            /// Image node → how many runs recorded it as built.
            var built: [String: Int]

            var duplicates: [String: Int] { built.filter { $0.value > 1 } }
            var description: String { "\(runs) runs, \(failedRuns) not succeeded, built: \(built)" }
        }

        /// Reads the journal with Python's own SQLite, not prewarm's.
        static func builds(in journal: String) async throws -> Builds {
            let python = try #require(CommandRunner.which("python3"))
            let script = """
                import json, sqlite3, sys
                db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
                runs = db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                failed = db.execute("SELECT COUNT(*) FROM runs WHERE outcome IS NOT 'succeeded'").fetchone()[0]
                built = dict(db.execute(
                    "SELECT node_id, COUNT(*) FROM nodes WHERE kind = 'image' AND state = 'succeeded' GROUP BY node_id"))
                print(json.dumps({"runs": runs, "failedRuns": failed, "built": built}))
                """
            let result = try await CommandRunner.run(python, ["-c", script, journal])
            try #require(result.status == 0, "\(result.stderr)")
            return try JSONDecoder().decode(Builds.self, from: Data(result.stdout.utf8))
        }

        /// The manifest digest of each image node's name in the OCI store at `store` (`index.json`, which
        /// every process folds its names into when it ends).
        static func digests(of images: [String], in store: String) throws -> [String: String] {
            let named = try OCITest.namedDigests(in: store)
            return Dictionary(
                uniqueKeysWithValues: images.map { ($0, named[String($0.dropFirst("image:".count))] ?? "-") })
        }

        /// The ID of each image, as the engine at `host` says.
        static func imageIDs(_ names: [String], at host: String) async throws -> [String: String] {
            var ids: [String: String] = [:]
            for name in names { ids[name] = try await EngineRetryTests.inspect(name, at: host).id }
            return ids
        }

        /// The template, its three layers and stand-in emulators, in a test's directory.
        struct RaceApp {
            var template: String
            var rie: String
            var environment: [String: String]

            static func write(in directory: TemporaryDirectory) throws -> RaceApp {
                let unique = BuildFaultTests.App.uniqueSuffix()
                for layer in ["A", "B", "C"] {
                    try directory.write(
                        "app/layers/\(layer)/python/\(layer.lowercased()).py", "name = '\(layer)\(unique)'\n")
                }
                let rie = try OCITest.standInEmulators(in: directory)
                // Ten functions, nine images: F1 and F2 share one.
                let functions: [(String, [String])] = [
                    ("x86_64", ["A"]), ("x86_64", ["A"]), ("x86_64", ["B"]), ("arm64", ["C"]), ("arm64", ["A", "B"]),
                    ("x86_64", ["A", "C"]), ("arm64", ["B", "C"]), ("x86_64", ["A", "B", "C"]),
                    ("arm64", ["A", "B", "C"]), ("arm64", ["A"]),
                ]
                var yaml = """
                    Transform: AWS::Serverless-2016-10-31
                    Metadata:
                      Prewarm:
                        BaseImages: \(OCITest.repository)/examples/quickstart/bases/
                    Globals:
                      Function: {Handler: app.handler, CodeUri: src/, Runtime: python3.12}
                    Resources:

                    """
                for layer in ["A", "B", "C"] {
                    yaml += "  Layer\(layer)\(unique):\n    Type: AWS::Serverless::LayerVersion\n"
                    yaml += "    Properties: {ContentUri: layers/\(layer)}\n"
                }
                for (index, (architecture, layers)) in functions.enumerated() {
                    let references = layers.map { "!Ref Layer\($0)\(unique)" }.joined(separator: ", ")
                    yaml += "  F\(index + 1):\n    Type: AWS::Serverless::Function\n"
                    yaml += "    Properties: {Architectures: [\(architecture)], Layers: [\(references)]}\n"
                }
                return RaceApp(
                    template: try directory.write("app/template.yaml", yaml), rie: rie,
                    environment: ["TMPDIR": try directory.ownTMPDIR().path])
            }

            /// The image nodes of the plan (`image:NAME`), sorted.
            func imageNodes() async throws -> [String] {
                let plan = try await PrewarmExecutable.run(["plan", template, "--format", "json"])
                try #require(plan.status == 0, "\(plan.stderr)")
                let object = try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any]
                let nodes = (object?["graph"] as? [String: Any])?["nodes"] as? [[String: Any]] ?? []
                return nodes.filter { $0["kind"] as? String == "image" }.compactMap { $0["id"] as? String }.sorted()
            }

            func prewarm(_ arguments: [String], home directory: TemporaryDirectory) async throws -> CommandResult {
                try await OCITest.prewarm(arguments, home: directory, environment: environment)
            }

            /// Three processes of `prewarm arguments…`, started together; their results when all have ended.
            func together(_ arguments: [String], home directory: TemporaryDirectory) async throws -> [CommandResult] {
                async let first = prewarm(arguments, home: directory)
                async let second = prewarm(arguments, home: directory)
                async let third = prewarm(arguments, home: directory)
                return try await [first, second, third]
            }
        }
    }
}
