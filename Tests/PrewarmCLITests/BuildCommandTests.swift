import Foundation
import PrewarmTestKit
import Testing

/// `prewarm build` end to end against the real engines that ci/test starts (dockerd and
/// Podman's compatible API, each with locally created base images and no network).
extension EngineTests {
    @Suite struct BuildCommandTests {
        /// The engines to test: `PREWARM_TEST_DOCKER_HOST` and `PREWARM_TEST_PODMAN_HOST`.
        static let engines: [(String, String)] = {
            let environment = ProcessInfo.processInfo.environment
            return [("dockerd", "PREWARM_TEST_DOCKER_HOST"), ("podman", "PREWARM_TEST_PODMAN_HOST")].compactMap {
                name, key in
                environment[key].map { (name, $0) }
            }
        }()

        /// With ci/test the engines must be there: a missing one fails instead of skipping.
        @Test func enginesAreAvailableWhenRequired() {
            if ProcessInfo.processInfo.environment["PREWARM_REQUIRE_ENGINES"] == "1" {
                #expect(Self.engines.count == 2, "ci/test starts dockerd and podman and exports their sockets")
            }
        }

        /// A template of 32 functions over three runtimes, both architectures and shared layers.
        static func writeApp(in directory: TemporaryDirectory) throws -> String {
            try directory.write("layers/common/python/common.py", "version = 'common'\n")
            try directory.write("layers/common/shared.txt", "from common\n")
            try directory.write("layers/extra/shared.txt", "from extra, which comes later\n")
            try directory.write("layers/extra/bin/tool", "#!/bin/sh\necho tool\n")
            chmod(directory.path + "/layers/extra/bin/tool", 0o755)
            // A stand-in emulator unique to this test, so that no image of an earlier run is up to date.
            let unique = UUID().uuidString
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\necho emulator x86_64 \(unique)\n")
            try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\necho emulator arm64 \(unique)\n")
            var yaml = """
                Transform: AWS::Serverless-2016-10-31
                Globals:
                  Function:
                    Handler: app.handler
                    CodeUri: src/
                Resources:
                  Common:
                    Type: AWS::Serverless::LayerVersion
                    Properties: {ContentUri: layers/common}
                  Extra:
                    Type: AWS::Serverless::LayerVersion
                    Properties: {ContentUri: layers/extra}

                """
            let runtimes = ["python3.12", "nodejs20.x", "provided.al2023"]
            let layerSets = ["[]", "[!Ref Common]", "[!Ref Common, !Ref Extra]", "[!Ref Extra]"]
            for index in 0..<32 {
                yaml += "  Fn\(index):\n    Type: AWS::Serverless::Function\n    Properties:\n"
                yaml +=
                    "      Runtime: \(runtimes[index % 3])\n      Architectures: [\(index % 2 == 0 ? "x86_64" : "arm64")]\n"
                yaml += "      Layers: \(layerSets[(index / 2) % 4])\n"
            }
            return try directory.write("template.yaml", yaml)
        }

        @Test(arguments: engines.map(\.0))
        func buildsEveryImageSAMLooksForAndASecondRunBuildsNothing(_ engine: String) async throws {
            let host = try #require(Self.engines.first { $0.0 == engine }?.1)
            let directory = try TemporaryDirectory("prewarm-build")
            defer { directory.remove() }
            let template = try Self.writeApp(in: directory)
            let common = ["--docker-host", host, "--rie-dir", directory.path + "/rie", "--skip-pull-image"]

            let plan = try await PrewarmExecutable.run(["plan", template, "--format", "json"])
            #expect(plan.status == 0, "\(plan.stderr)")
            let planned = try #require(
                (try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])?["functions"]
                    as? [[String: Any]])
            #expect(planned.count == 32)

            // An image of an older SAM CLI in a repository prewarm builds into: removed, as SAM does.
            let stale = "public.ecr.aws/lambda/python:3.12-rapid-1.60.0-x86_64"
            let tagged = try await BuildFaultTests.EngineTool.run(
                ["tag", "public.ecr.aws/lambda/python:3.12-x86_64", stale], at: host)
            #expect(tagged.status == 0, "\(tagged.stderr)")

            let first = try await PrewarmExecutable.run(["build", template, "--progress", "json"] + common)
            #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
            let images = Set(planned.compactMap { $0["image"] as? String })
            #expect(first.stdout.contains("\"built\":\(images.count)"), "\(first.stdout.suffix(400))")

            #expect(try await !ImageFiles.exists(stale, host: host), "the stale image is removed")
            #expect(try await ImageFiles.exists("public.ecr.aws/lambda/python:3.12-x86_64", host: host))

            // Every image: the emulator of its architecture, 0755; the layers merged under /opt.
            for function in planned {
                let image = try #require(function["image"] as? String)
                let architecture = try #require(function["architecture"] as? String)
                let layers = function["layers"] as? [String] ?? []
                let contents = try await ImageFiles.read(image, host: host)
                try Self.expect(
                    contents, of: image, architecture: architecture, layers: layers, rie: directory.path + "/rie")
            }

            let second = try await PrewarmExecutable.run(["build", template, "--progress", "json"] + common)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stdout.contains("\"built\":0"), "\(second.stdout.suffix(400))")
        }

        /// Records an issue unless `contents` is the image of a function on `architecture` with `layers`
        /// (names from the template of `writeApp`): its architecture, the emulator of `rie` with mode 0755, the
        /// base's files, and the layers' files under /opt, the last layer's `shared.txt` on top.
        static func expect(
            _ contents: ImageFiles, of image: String, architecture: String, layers: [String], rie: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            #expect(
                contents.architecture == (architecture == "x86_64" ? "amd64" : "arm64"), "\(image)",
                sourceLocation: sourceLocation)
            let emulator = try #require(
                contents.files["var/rapid/aws-lambda-rie"], "\(image): the emulator", sourceLocation: sourceLocation)
            let expected = try String(contentsOfFile: rie + "/aws-lambda-rie-" + architecture, encoding: .utf8)
            #expect(emulator.mode & 0o777 == 0o755, "\(image): \(emulator)", sourceLocation: sourceLocation)
            #expect(emulator.type == .file && emulator.text == expected, "\(image)", sourceLocation: sourceLocation)
            #expect(emulator.size == expected.utf8.count, "\(image)", sourceLocation: sourceLocation)
            #expect(contents.files["bin/busybox"] != nil, "\(image): the base's files", sourceLocation: sourceLocation)
            let shared = contents.files["opt/shared.txt"]
            if let last = layers.last {
                let want = try #require(
                    ["Common": "from common\n", "Extra": "from extra, which comes later\n"][last], "\(image): \(last)",
                    sourceLocation: sourceLocation)
                #expect(shared?.text == want, "\(image): \(String(describing: shared))", sourceLocation: sourceLocation)
            } else {
                #expect(
                    shared == nil, "\(image): no layer files in a function without layers",
                    sourceLocation: sourceLocation)
            }
            if layers.contains("Extra") {
                let tool = contents.files["opt/bin/tool"]
                #expect(
                    tool.map { $0.mode & 0o777 } == 0o755, "\(image): \(String(describing: tool))",
                    sourceLocation: sourceLocation)
            }
            if layers.contains("Common") {
                #expect(contents.files["opt/python/common.py"] != nil, "\(image)", sourceLocation: sourceLocation)
            }
        }
    }
}
