import Foundation
import PrewarmTestKit
import Testing

extension EngineTests.LayerARNBuildTests {
    /// A template layer that is a local zip, and `--max-layer-size`.
    @Suite struct ZipsAndLimits {
        /// A template layer whose ContentUri is a zip: built with its files under /opt; an unchanged zip
        /// rebuilds nothing; a changed one rebuilds exactly the images that use it. No credentials needed.
        @Test func aLocalZipLayerIsKeyedByItsContent() async throws {
            guard let host = EngineTests.LayerARNBuildTests.dockerd else { return }
            let directory = try TemporaryDirectory("prewarm-zip-layer")
            defer { directory.remove() }
            let zips = directory.path + "/zips"
            let made = try await CommandRunner.run(
                try #require(CommandRunner.which("python3")),
                [Fixtures.path("zips/make.py"), zips, "layer-one.zip", "layer-two.zip"])
            try #require(made.status == 0, "\(made.stderr)")
            try directory.write("app/dir-layer/python/dir.py", "name = 'dir'\n")
            try FileManager.default.copyItem(atPath: zips + "/layer-one.zip", toPath: directory.path + "/app/layer.zip")
            let unique = UUID().uuidString
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\necho x86_64 \(unique)\n")
            try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\necho arm64 \(unique)\n")
            let fixture = try String(contentsOfFile: Fixtures.path("sam/zip-layer/template.yaml"), encoding: .utf8)
            let template = try directory.write(
                "app/template.yaml", fixture.replacingOccurrences(of: "SUFFIX", with: String(unique.prefix(8))))
            let cache = directory.path + "/cache"
            let environment = ARNApp.baseEnvironment(home: directory.path + "/home")
            let build = [
                "build", template, "--progress", "json", "--docker-host", host, "--skip-pull-image", "--rie-dir",
                directory.path + "/rie", "--layer-cache-basedir", cache,
            ]
            let plan = try await PrewarmExecutable.run(["plan", template, "--format", "json"])
            try #require(plan.status == 0, "\(plan.stderr)")
            let images = try ARNApp.images(ofPlan: plan.stdout)
            let usingZip = Set(["UsesZip", "UsesZipArm"].compactMap { images[$0].map { "image:" + $0.image } })
            #expect(usingZip.count == 2)

            let first = try await PrewarmExecutable.run(build, environment: environment)
            #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
            #expect(Progress(first.stdout).built(kind: "image").count == 3)
            let arm = try await ImageFiles.read(try #require(images["UsesZipArm"]).image, host: host)
            #expect(arm.architecture == "arm64")
            #expect(arm.files["opt/python/one.py"]?.text == "name = 'one'\n")
            #expect(arm.files["opt/python/dir.py"]?.text == "name = 'dir'\n")
            #expect(arm.files["opt/bin/one"]?.mode == 0o755)
            #expect(arm.files["opt/shared.txt"]?.text == "from one\n")
            let zipped = try await ImageFiles.read(try #require(images["UsesZip"]).image, host: host)
            #expect(zipped.files["opt/python/one.py"]?.text == "name = 'one'\n")
            #expect(zipped.files["opt/python/dir.py"] == nil)
            let entries = try FileManager.default.contentsOfDirectory(atPath: cache + "/.prewarm/local")
            #expect(entries.count == 3, "the zip's directory, record and lock: \(entries)")

            let unchanged = try await PrewarmExecutable.run(build, environment: environment)
            #expect(unchanged.status == 0, "\(unchanged.stderr)")
            #expect(Progress(unchanged.stdout).built(kind: "image").isEmpty)

            try FileManager.default.removeItem(atPath: directory.path + "/app/layer.zip")
            try FileManager.default.copyItem(atPath: zips + "/layer-two.zip", toPath: directory.path + "/app/layer.zip")
            let changed = try await PrewarmExecutable.run(build, environment: environment)
            #expect(changed.status == 0, "\(changed.stderr)")
            #expect(Progress(changed.stdout).built(kind: "image") == usingZip, "exactly the images using the zip")
            let rebuilt = try await ImageFiles.read(try #require(images["UsesZip"]).image, host: host)
            #expect(rebuilt.files["opt/python/two.py"]?.text == "name = 'two'\n")
            #expect(rebuilt.files["opt/python/one.py"] == nil)
            await EngineTests.BuildFaultTests.EngineTool.remove(images.values.map(\.image), at: host)
        }

        /// A layer that expands to more than `--max-layer-size 1MB`: one line naming the layer and the flag,
        /// nothing cached. Without the flag (1 GiB) the same layer builds.
        @Test func aLayerLargerThanTheLimitIsOneLineNamingTheFlag() async throws {
            guard let host = EngineTests.LayerARNBuildTests.dockerd else { return }
            let app = try await ARNApp.make(
                host: host, layers: [ARNApp.Layer("big", zip: "big-big.zip")],
                functions: [ARNApp.Function("Python", "python3.12", "x86_64", layers: [0])])
            defer { app.directory.remove() }
            let samNames = try await app.samNames()
            try await withLayerServers(try await app.fixtureLayers()) { servers in
                let limited = try await app.build(app.environment(servers), ["--max-layer-size", "1MB"])
                #expect(limited.status == 1, "\(limited.stdout)\n\(limited.stderr)")
                let error = EngineTests.BuildFaultTests.singleErrorLine(limited)
                #expect(error.hasPrefix("layer:\(app.arns[0]): "), "names the layer: \(error)")
                #expect(error.contains("more than the limit of 1000000 (--max-layer-size)"), "\(error)")
                #expect(app.tree(app.cache) == [".prewarm/", ".prewarm/\(samNames[0]).lock"], "nothing cached")
                // The journal keeps the failure as the build said it: `status` names the flag too.
                let status = try await PrewarmExecutable.run(["status", "--journal", app.journal])
                #expect(status.stdout.contains("(--max-layer-size)"), "\(status.stdout)\n\(status.stderr)")
                #expect(!status.stdout.contains("`maxLayerSize`"), "\(status.stdout)")

                let unlimited = try await app.build(app.environment(servers))
                #expect(unlimited.status == 0, "\(unlimited.stdout)\n\(unlimited.stderr)")
                let image = try #require(try await app.plannedImages()["Python"]).image
                let contents = try await ImageFiles.read(image, host: host)
                #expect(contents.files["opt/data/zeros.bin"]?.size == 2 << 20)
                #expect(try await servers.counts().downloads == [app.arns[0]: 2])
            }
            await app.removeImages()
        }
    }
}
