import Foundation
import PrewarmTestKit
import Testing

extension EngineTests.LayerARNBuildTests {
    /// One test's app: layers by ARN (named with a suffix of the test's own), the functions that use them,
    /// and what its `prewarm` processes get: a HOME, a layer cache, a journal and stand-in emulators, all in
    /// the test's temporary directory.
    struct ARNApp {
        /// A layer by ARN: the zip the fixture serves for it (a `Tests/Fixtures/zips/make.py` name) and the
        /// faults it injects.
        struct Layer {
            var tag: String
            var zip: String
            var failFirst: [Int]
            var wrongChecksum: Bool

            init(_ tag: String, zip: String? = nil, failFirst: [Int] = [], wrongChecksum: Bool = false) {
                self.tag = tag
                self.zip = zip ?? "layer-\(tag).zip"
                self.failFirst = failFirst
                self.wrongChecksum = wrongChecksum
            }
        }

        struct Function {
            var name: String
            var runtime: String
            var architecture: String
            /// Indexes into the app's layers, in the order the function lists them.
            var layers: [Int]

            init(_ name: String, _ runtime: String, _ architecture: String, layers: [Int]) {
                self.name = name
                self.runtime = runtime
                self.architecture = architecture
                self.layers = layers
            }
        }

        let directory: TemporaryDirectory
        let host: String
        let layers: [Layer]
        let arns: [String]
        let functions: [Function]

        var template: String { directory.path + "/app/template.yaml" }
        var home: String { directory.path + "/home" }
        var cache: String { directory.path + "/cache" }
        var journalDirectory: String { directory.path + "/journal" }
        var journal: String { journalDirectory + "/journal.sqlite" }
        var rie: String { directory.path + "/rie" }

        static func make(host: String, layers: [Layer], functions: [Function]) async throws -> ARNApp {
            let directory = try TemporaryDirectory("prewarm-arn")
            let unique = String(UUID().uuidString.lowercased().filter(\.isHexDigit).prefix(12))
            let arns = layers.enumerated().map { index, layer in
                "arn:aws:lambda:us-east-1:123456789012:layer:pw-\(unique)-\(layer.tag):\(index + 3)"
            }
            try FileManager.default.createDirectory(atPath: directory.path + "/home", withIntermediateDirectories: true)
            // A stand-in emulator unique to this test, so that no image of an earlier run is up to date.
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\necho emulator x86_64 \(unique)\n")
            try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\necho emulator arm64 \(unique)\n")
            var yaml = """
                Transform: AWS::Serverless-2016-10-31
                Globals:
                  Function:
                    Handler: app.handler
                    CodeUri: src/
                Resources:

                """
            for function in functions {
                yaml += "  \(function.name):\n    Type: AWS::Serverless::Function\n    Properties:\n"
                yaml += "      Runtime: \(function.runtime)\n      Architectures: [\(function.architecture)]\n"
                yaml += "      Layers: [\(function.layers.map { "\"\(arns[$0])\"" }.joined(separator: ", "))]\n"
            }
            try directory.write("app/template.yaml", yaml)
            return ARNApp(directory: directory, host: host, layers: layers, arns: arns, functions: functions)
        }

        /// What the fixture serves: each layer's zip, written by make.py, and its faults.
        func fixtureLayers() async throws -> [FixtureLayer] {
            let zips = directory.path + "/zips"
            let made = try await CommandRunner.run(
                try #require(CommandRunner.which("python3")),
                [Fixtures.path("zips/make.py"), zips] + Array(Set(layers.map(\.zip))))
            try #require(made.status == 0, "make.py: \(made.stderr)")
            return try zip(layers, arns).map { layer, arn in
                FixtureLayer(
                    arn: arn, zip: try Data(contentsOf: URL(fileURLWithPath: zips + "/" + layer.zip)),
                    failFirst: layer.failFirst, wrongChecksum: layer.wrongChecksum)
            }
        }

        /// The test process's environment without anything AWS, SAM or engine related, with `home` as HOME.
        static func baseEnvironment(home: String) -> [String: String] {
            var environment = ProcessInfo.processInfo.environment.filter { key, _ in
                !key.hasPrefix("AWS_") && !key.hasPrefix("SAM_") && !key.hasPrefix("DOCKER_")
                    && !["HOME", "PREWARM_RIE_DIR"].contains(key)
            }
            environment["HOME"] = home
            return environment
        }

        /// The environment of this app's `prewarm`: its own HOME, and the fixture's endpoint and credentials
        /// (with `secret` instead of the right one) when `servers` is given; no AWS variable otherwise.
        func environment(_ servers: LayerServers?, secret: String? = nil) -> [String: String] {
            Self.baseEnvironment(home: home).merging(servers?.processEnvironment(secretAccessKey: secret) ?? [:]) {
                $1
            }
        }

        /// `prewarm build` of the app, with progress as JSON lines.
        func build(_ environment: [String: String], _ arguments: [String] = []) async throws -> CommandResult {
            try await PrewarmExecutable.run(
                [
                    "build", template, "--progress", "json", "--docker-host", host, "--skip-pull-image",
                    "--rie-dir", rie, "--layer-cache-basedir", cache, "--journal", journal,
                ] + arguments, environment: environment)
        }

        /// Each function's image and architecture, by function name, from `prewarm plan`.
        func plannedImages() async throws -> [String: (image: String, architecture: String)] {
            let plan = try await PrewarmExecutable.run(["plan", template, "--format", "json"])
            try #require(plan.status == 0, "\(plan.stderr)")
            return try Self.images(ofPlan: plan.stdout)
        }

        static func images(ofPlan json: String) throws -> [String: (image: String, architecture: String)] {
            let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            var images: [String: (image: String, architecture: String)] = [:]
            for function in try #require(object?["functions"] as? [[String: Any]]) {
                images[try #require(function["name"] as? String)] = (
                    try #require(function["image"] as? String), try #require(function["architecture"] as? String)
                )
            }
            return images
        }

        /// Removes the app's images from the engine.
        func removeImages() async {
            guard let planned = try? await plannedImages() else { return }
            await EngineTests.BuildFaultTests.EngineTool.remove(planned.values.map(\.image), at: host)
        }

        /// SAM CLI's name of each layer, computed as SAM CLI does (with Python's hashlib, not prewarm's code) by
        /// `Tests/Fixtures/aws/sam_layer_names.py`: `NAME-VERSION-` and the first 10 hex digits of the ARN's SHA-256.
        func samNames() async throws -> [String] {
            let result = try await CommandRunner.run(
                try #require(CommandRunner.which("python3")), [Fixtures.path("aws/sam_layer_names.py")] + arns)
            try #require(result.status == 0, "\(result.stderr)")
            return result.stdout.split(separator: "\n").map(String.init)
        }

        /// The content digest the cache's record of layer `name` holds.
        func recordedDigest(_ name: String) throws -> String {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(cache)/.prewarm/\(name).json"))
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            return try #require(object?["contentDigest"] as? String)
        }

        /// The latest run in the journal, node by node, from `prewarm status`.
        func status() async throws -> EngineTests.BuildFaultTests.JournalStatus {
            let result = try await PrewarmExecutable.run(["status", "--journal", journal, "--format", "json"])
            try #require(result.status == 0, "\(result.stderr)")
            return try JSONDecoder().decode(
                EngineTests.BuildFaultTests.JournalStatus.self, from: Data(result.stdout.utf8))
        }

        /// The outcome of every run in the journal; none when there is no journal file.
        func recordedRunOutcomes() async throws -> [String] {
            guard FileManager.default.fileExists(atPath: journal) else { return [] }
            let result = try await PrewarmExecutable.run(["runs", "--journal", journal, "--format", "json"])
            try #require(result.status == 0, "\(result.stderr)")
            let runs = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
            return try #require(runs).compactMap { $0["outcome"] as? String }
        }

        /// Every path under `root`, relative to it, sorted, with `/` after directories; none when it is absent.
        func tree(_ root: String) -> [String] {
            guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
            var paths: [String] = []
            while let relative = enumerator.nextObject() as? String {
                var status = stat()
                let isDirectory = lstat(root + "/" + relative, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
                paths.append(relative + (isDirectory ? "/" : ""))
            }
            return paths.sorted()
        }

        /// Records an issue unless `contents` is the image of `function`: its architecture, its emulator (0755),
        /// and exactly its layers' files under /opt with their modes, the last layer's `shared.txt` on top.
        func expect(
            _ contents: ImageFiles, of function: Function, image: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let tags = function.layers.map { layers[$0].tag }
            let want = function.architecture == "x86_64" ? "amd64" : "arm64"
            #expect(contents.architecture == want, "\(image)", sourceLocation: sourceLocation)
            let emulator = contents.files["var/rapid/aws-lambda-rie"]
            let rieText = try? String(
                contentsOfFile: "\(rie)/aws-lambda-rie-\(function.architecture)", encoding: .utf8)
            #expect(emulator?.mode == 0o755, "\(image): the emulator", sourceLocation: sourceLocation)
            #expect(emulator?.text == rieText, "\(image): the emulator", sourceLocation: sourceLocation)
            let python = Set(contents.files.keys.filter { $0.hasPrefix("opt/python/") && $0.hasSuffix(".py") })
            #expect(
                python == Set(tags.map { "opt/python/\($0).py" }), "\(image): exactly its layers' files",
                sourceLocation: sourceLocation)
            for tag in tags {
                let module = contents.files["opt/python/\(tag).py"]
                #expect(module?.text == "name = '\(tag)'\n", "\(image)", sourceLocation: sourceLocation)
                #expect(module?.mode == 0o644, "\(image): \(tag).py", sourceLocation: sourceLocation)
                let tool = contents.files["opt/bin/\(tag)"]
                #expect(tool?.text == "#!/bin/sh\necho \(tag)\n", "\(image)", sourceLocation: sourceLocation)
                #expect(tool?.mode == 0o755, "\(image): bin/\(tag)", sourceLocation: sourceLocation)
            }
            #expect(
                contents.files["opt/shared.txt"]?.text == tags.last.map { "from \($0)\n" },
                "\(image): the last layer's shared.txt", sourceLocation: sourceLocation)
        }

        /// Records an issue when a secret, or a pre-signed URL's signature, is in the command's output or in
        /// any file of the journal's directory (the SQLite file and its WAL, read as bytes), or when
        /// `recorded` is not in those files (which shows that they hold the run's messages as text).
        func expectNoSecrets(
            in result: CommandResult, secrets: [String], recorded: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            var texts = ["stdout": result.stdout, "stderr": result.stderr]
            let files = try FileManager.default.contentsOfDirectory(atPath: journalDirectory)
            #expect(files.contains("journal.sqlite"), "\(files)", sourceLocation: sourceLocation)
            for file in files {
                let data = try Data(contentsOf: URL(fileURLWithPath: journalDirectory + "/" + file))
                texts[file] = String(decoding: data, as: UTF8.self)
            }
            #expect(
                files.contains { texts[$0]?.contains(recorded) == true }, "the journal records \(recorded)",
                sourceLocation: sourceLocation)
            for (place, text) in texts {
                for secret in secrets {
                    #expect(!text.contains(secret), "the secret is in \(place)", sourceLocation: sourceLocation)
                }
                var rest = text[...]
                while let found = rest.range(of: "X-Amz-Signature=", options: .caseInsensitive) {
                    let value = rest[found.upperBound...].prefix { $0.isLetter || $0.isNumber }
                    #expect(
                        value == "REDACTED", "a signature is in \(place): \(value)", sourceLocation: sourceLocation)
                    rest = rest[found.upperBound...]
                }
            }
        }
    }
}
