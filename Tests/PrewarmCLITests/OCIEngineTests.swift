import Foundation
import PrewarmTestKit
import Testing

/// `prewarm build --engine oci` end to end: the quickstart with no Docker engine, images equal to
/// the Docker engine path's, layer blobs written once, and the store commands (`import`,
/// `export`, `gc`). Each test has its own OCI store, `HOME` and stand-in emulators.
extension EngineTests {
    @Suite struct OCIEngineTests {
        @Test func quickstartBuildsWithoutADockerEngineAndSaysWhereTheImagesAre() async throws {
            let directory = try TemporaryDirectory("prewarm-oci-quickstart")
            defer { directory.remove() }
            // The README's command on the example as shipped (its own bases layout and stand-in
            // emulator), with nothing pointing at a Docker engine (no DOCKER_HOST, no docker context)
            // and none at the usual sockets. It brings its own bases and emulator, so --engine auto
            // builds into the store beside it, whatever engine answers (StandInTests).
            let template = try OCITest.quickstart(in: directory)
            let store = directory.path + "/quickstart/.prewarm/oci"
            let result = try await OCITest.prewarm(
                ["build", template], home: directory,
                environment: ["DOCKER_HOST": "", "DOCKER_CONTEXT": "", "XDG_RUNTIME_DIR": directory.path + "/run"])
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            var lines = result.stderr.split(separator: "\n").map(String.init)
            #expect(lines.first == "prewarm: template: \(template) (given)", "\(lines)")
            lines.removeFirst()
            #expect(
                lines.first == "prewarm: engine: oci store at \(store) "
                    + "(--engine auto: the template brings its own base images or emulator in Metadata.Prewarm, so "
                    + "its images stay beside it; --engine docker or --load puts them into Docker)", "\(lines)")
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/home/.cache/prewarm/oci"))
            #expect(lines.contains("prewarm: 3 image(s) are in the OCI store at \(store)"), "\(lines)")
            #expect(
                lines.contains { $0.contains("add --load") && $0.contains("docker load -i images.tar") }, "\(lines)")

            // An independent reader accepts every image prewarm built (by their ref.name tags).
            let skopeo = try #require(OCITest.tool("skopeo"))
            let built = try OCITest.namedDigests(in: store).keys.filter {
                !$0.hasPrefix("public.ecr.aws/lambda/python:3.12-") || $0.contains("rapid")
            }
            #expect(built.count == 3, "\(built)")
            for image in built {
                let tag = try #require(image.split(separator: ":").last)
                let inspect = try await OCITest.run(skopeo, ["inspect", "oci:\(store):\(tag)"])
                let object = try JSONSerialization.jsonObject(with: Data(inspect.utf8)) as? [String: Any]
                #expect(object?["Os"] as? String == "linux", "\(image)")
                #expect((object?["Layers"] as? [String])?.count ?? 0 >= 2, "\(image): base + emulator at least")
            }
            #expect(try await OCITest.unverifiedBlobs(in: store).isEmpty)
        }

        /// A plan of five functions over two runtimes, two layers (shared, overlapping) and both architectures.
        static let equalityTemplate = """
            Transform: AWS::Serverless-2016-10-31
            Globals:
              Function: {Handler: app.handler, CodeUri: src/, Runtime: python3.12}
            Resources:
              Common:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: layers/common}
              Extra:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: layers/extra}
              Plain:
                Type: AWS::Serverless::Function
              WithCommon:
                Type: AWS::Serverless::Function
                Properties: {Layers: [!Ref Common]}
              WithBoth:
                Type: AWS::Serverless::Function
                Properties: {Layers: [!Ref Common, !Ref Extra]}
              WithBothArm:
                Type: AWS::Serverless::Function
                Properties: {Layers: [!Ref Common, !Ref Extra], Architectures: [arm64]}
              NodeArm:
                Type: AWS::Serverless::Function
                Properties: {Runtime: nodejs20.x, Layers: [!Ref Extra], Architectures: [arm64]}
            """

        @Test func imageLoadedFromTheOCIStoreEqualsTheDockerPathsFileForFile() async throws {
            guard let host = OCITest.required("PREWARM_TEST_DOCKER_HOST") else { return }
            let directory = try TemporaryDirectory("prewarm-oci-equal")
            defer { directory.remove() }
            try directory.write("layers/common/python/common.py", "version = 'common'\n")
            try directory.write("layers/common/shared.txt", "from common\n")
            try directory.write("layers/extra/shared.txt", "from extra, which comes later\n")
            let tool = try directory.write("layers/extra/bin/tool", "#!/bin/sh\necho tool\n")
            chmod(tool, 0o755)
            try directory.write("src/app.py", "def handler(event, context):\n    return 1\n")
            let template = try directory.write("template.yaml", Self.equalityTemplate)
            let rie = try OCITest.standInEmulators(in: directory)

            let plan = try await OCITest.prewarm(["plan", template, "--format", "json"], home: directory)
            #expect(plan.status == 0, "\(plan.stderr)")
            let functions = try #require(
                (try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])?["functions"]
                    as? [[String: Any]])
            let images = Set(functions.compactMap { $0["image"] as? String }).sorted()
            #expect(images.count == 5, "\(images)")

            // The bases as dockerd has them, as `docker save` tars for the OCI store.
            try await OCITest.run(
                OCITest.repository + "/ci/services/base-images",
                ["--out", directory.path + "/bases"], environment: ["DOCKER_HOST": host])
            let store = directory.path + "/store"
            let tars = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/bases").sorted()
                .map { directory.path + "/bases/" + $0 }
            let imported = try await OCITest.prewarm(["import", "--oci-store", store] + tars, home: directory)
            #expect(imported.status == 0, "\(imported.stderr)")

            func filesystems() async throws -> [String: ImageFiles] {
                var result: [String: ImageFiles] = [:]
                for image in images { result[image] = try await ImageFiles.read(image, host: host) }
                return result
            }
            func removeImages() async throws {
                let removed = try await BuildFaultTests.EngineTool.run(["remove", "--force"] + images, at: host)
                try #require(removed.status == 0, "\(removed.stderr)")
            }

            try await removeImages()
            let docker = try await OCITest.prewarm(
                [
                    "build", template, "--engine", "docker", "--docker-host", host, "--rie-dir", rie,
                    "--skip-pull-image", "--journal", directory.path + "/docker.sqlite", "--progress", "json",
                ], home: directory)
            #expect(docker.status == 0, "\(docker.stderr)")
            #expect(OCITest.built(docker.stdout) == images.count, "\(docker.stdout.suffix(300))")
            let fromDocker = try await filesystems()
            try await removeImages()

            let oci = try await OCITest.prewarm(
                [
                    "build", template, "--engine", "oci", "--oci-store", store, "--load", "--docker-host", host,
                    "--rie-dir", rie, "--journal", directory.path + "/oci.sqlite", "--progress", "json",
                ], home: directory)
            #expect(oci.status == 0, "\(oci.stderr)")
            #expect(OCITest.built(oci.stdout) == images.count, "\(oci.stdout.suffix(300))")
            #expect(oci.stderr.contains("loaded \(images.count) image(s) into"), "\(oci.stderr)")
            let fromOCI = try await filesystems()

            for image in images {
                let docker = try #require(fromDocker[image])
                let oci = try #require(fromOCI[image])
                #expect(docker.files.count > 20, "\(image): a whole filesystem, emulator and /opt included")
                let emulator = docker.files["var/rapid/aws-lambda-rie"]
                #expect(emulator?.type == .file && emulator?.mode == 0o755, "\(image): \(String(describing: emulator))")
                #expect(
                    docker.architecture == oci.architecture && docker.variant == oci.variant,
                    "\(image): Docker \(docker.architecture)/\(docker.variant), OCI \(oci.architecture)/\(oci.variant)")
                #expect(docker.config == oci.config, "\(image): Docker \(docker.config), OCI \(oci.config)")
                #expect(docker.files == oci.files, "\(image): Docker vs OCI: \(docker.differences(from: oci))")
            }
        }

        @Test func fiftyFunctionsOnBothArchitecturesWriteEachLayerBlobOnce() async throws {
            let directory = try TemporaryDirectory("prewarm-oci-shared")
            defer { directory.remove() }
            let layerBytes = 5 << 20
            var template = """
                Transform: AWS::Serverless-2016-10-31
                Metadata:
                  Prewarm:
                    BaseImages: \(OCITest.repository)/examples/quickstart/bases/
                Globals:
                  Function: {Handler: app.handler, CodeUri: src/, Runtime: python3.12}
                Resources:

                """
            for layer in 0..<5 {
                // 5 MB of random bytes in five files: nothing compresses them.
                for part in 0..<5 {
                    let url = URL(fileURLWithPath: directory.path + "/layers/l\(layer)/python/part\(part).bin")
                    try FileManager.default.createDirectory(
                        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    let words = (0..<(layerBytes / 5 / 8)).map { _ in UInt64.random(in: .min ... .max) }
                    try words.withUnsafeBytes { Data($0) }.write(to: url)
                }
                template += "  L\(layer):\n    Type: AWS::Serverless::LayerVersion\n"
                template += "    Properties: {ContentUri: layers/l\(layer)}\n"
            }
            for function in 0..<50 {
                let mask = function % 31 + 1
                let layers = (0..<5).filter { mask & (1 << $0) != 0 }.map { "!Ref L\($0)" }
                template += "  Fn\(function):\n    Type: AWS::Serverless::Function\n"
                template += "    Properties: {Layers: [\(layers.joined(separator: ", "))]}\n"
            }
            try directory.write("src/app.py", "def handler(event, context):\n    return 1\n")
            let path = try directory.write("template.yaml", template)
            let store = directory.path + "/store"
            let build = [
                "build", path, "--engine", "oci", "--oci-store", store, "--arch", "x86_64,arm64", "--rie-dir",
                try OCITest.standInEmulators(in: directory), "--progress", "json",
            ]

            let first = try await OCITest.prewarm(build, home: directory)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(OCITest.built(first.stdout) == 62, "31 layer sets × 2 architectures: \(first.stdout.suffix(300))")
            let written = try OCITest.blobFiles(of: store)
            let total = written.values.reduce(0) { $0 + $1.size }
            #expect(written.values.filter { $0.size >= layerBytes }.count == 5, "one blob per layer")
            #expect(total < 2 * 5 * layerBytes, "\(total) bytes in \(written.count) blobs")
            #expect(try await OCITest.unverifiedBlobs(in: store).isEmpty)

            let second = try await OCITest.prewarm(build, home: directory)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(OCITest.built(second.stdout) == 0, "\(second.stdout.suffix(300))")
            #expect(try OCITest.blobFiles(of: store) == written, "the second run writes nothing")
        }

        @Test func importedExportedAndReimportedImagesKeepTheirDigestsAndGCKeepsWhatImagesNeed() async throws {
            guard let host = OCITest.required("PREWARM_TEST_DOCKER_HOST") else { return }
            let directory = try TemporaryDirectory("prewarm-oci-store-commands")
            defer { directory.remove() }
            try await OCITest.run(
                OCITest.repository + "/ci/services/base-images",
                ["--out", directory.path + "/bases", "public.ecr.aws/lambda/python:3.12-x86_64"],
                environment: ["DOCKER_HOST": host])
            let tar = directory.path + "/bases/public.ecr.aws_lambda_python_3.12-x86_64.tar"
            let first = directory.path + "/first"
            let imported = try await OCITest.prewarm(["import", "--oci-store", first, tar], home: directory)
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("imported public.ecr.aws/lambda/python:3.12-x86_64"), "\(imported.stdout)")

            // Build on the imported base, so that the store holds base and built images.
            let template = try OCITest.quickstart(in: directory)
            let trimmed = try String(contentsOfFile: template, encoding: .utf8)
                .replacingOccurrences(of: "    BaseImages: bases/\n", with: "")
            try trimmed.write(toFile: template, atomically: true, encoding: .utf8)
            let build = try await OCITest.prewarm(
                [
                    "build", template, "--engine", "oci", "--oci-store", first, "--function", "Report", "--rie-dir",
                    try OCITest.standInEmulators(in: directory),
                ], home: directory)
            #expect(build.status == 0, "\(build.stderr)")
            let names = try OCITest.namedDigests(in: first)
            #expect(names.count == 2, "\(names)")

            let archive = directory.path + "/all.tar"
            let exported = try await OCITest.prewarm(
                ["export", "--oci-store", first, "--format", "oci", "-o", archive] + names.keys.sorted(),
                home: directory)
            #expect(exported.status == 0, "\(exported.stderr)")
            let second = directory.path + "/second"
            let reimported = try await OCITest.prewarm(["import", "--oci-store", second, archive], home: directory)
            #expect(reimported.status == 0, "\(reimported.stderr)")
            #expect(try OCITest.namedDigests(in: second) == names)

            // gc with no grace: nothing an image needs goes; every image still exports.
            let before = try OCITest.blobFiles(of: first)
            let gc = try await OCITest.prewarm(["gc", "--oci-store", first, "--grace-period", "0"], home: directory)
            #expect(gc.status == 0, "\(gc.stderr)")
            #expect(try OCITest.blobFiles(of: first) == before, "\(gc.stdout)")
            for name in names.keys.sorted() {
                let again = try await OCITest.prewarm(
                    ["export", "--oci-store", first, "--format", "docker", "-o", directory.path + "/one.tar", name],
                    home: directory)
                #expect(again.status == 0, "\(name): \(again.stderr)")
            }
            #expect(try await OCITest.unverifiedBlobs(in: first).isEmpty)
            #expect(try await OCITest.unverifiedBlobs(in: second).isEmpty)
        }
    }
}
