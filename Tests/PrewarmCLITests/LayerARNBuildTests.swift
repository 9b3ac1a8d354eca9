import Foundation
import PrewarmTestKit
import Testing

/// `prewarm build` with Lambda layers by ARN, end to end through the command line: the real `prewarm`
/// against dockerd (with `--skip-pull-image` and the stand-in bases of ci/services/base-images), moto's S3
/// and `Tests/Fixtures/aws/lambda_server.py`, which checks every request's SigV4 signature and counts
/// GetLayerVersion calls and downloads. Each test's process gets an environment of the test's own: a HOME
/// and a layer cache in its temporary directory, the fixture's credentials and endpoint, never the real
/// `~/.aws`. Layer names carry a suffix of the test's own, so its images are its own; it removes them.
extension EngineTests {
    @Suite struct LayerARNBuildTests {
        static var dockerd: String? { BuildFaultTests.Engine.dockerd.host() }

        // MARK: - 1. Shared layers are fetched once

        /// 20 functions on both architectures and three runtimes share 5 layers by ARN: one GetLayerVersion
        /// call and one download per ARN, every image has its layers' files under /opt with their modes, the
        /// cache holds the 5 layers under SAM's names, and the journal records each layer's digest. A second
        /// build calls, downloads and builds nothing; a third, with no credentials at all, neither.
        @Test func twentyFunctionsOnTwoArchitecturesFetchEachOfFiveSharedLayersOnce() async throws {
            guard let host = Self.dockerd else { return }
            let runtimes = ["python3.12", "nodejs20.x", "provided.al2023"]
            let functions: [ARNApp.Function] = (0..<20).map { (index: Int) -> ARNApp.Function in
                let name = String(format: "Fn%02d", index)
                let architecture = index % 2 == 0 ? "x86_64" : "arm64"
                let layers: [Int] = index % 3 == 0 ? [index % 5, (index + 2) % 5] : [index % 5]
                return ARNApp.Function(name, runtimes[index % 3], architecture, layers: layers)
            }
            let app = try await ARNApp.make(
                host: host, layers: ["alpha", "beta", "gamma", "delta", "epsilon"].map { ARNApp.Layer($0) },
                functions: functions)
            defer { app.directory.remove() }
            let planned = try await app.plannedImages()
            #expect(Set(planned.values.map(\.architecture)) == ["x86_64", "arm64"])
            for layer in 0..<5 {
                let users = functions.filter { $0.layers.contains(layer) }
                #expect(Set(users.map(\.architecture)).count == 2, "layer \(layer) is used on both architectures")
            }

            try await withLayerServers(try await app.fixtureLayers()) { servers in
                let first = try await app.build(app.environment(servers))
                #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
                let once = Dictionary(uniqueKeysWithValues: app.arns.map { ($0, 1) })
                let counts = try await servers.counts()
                #expect(counts.calls == once, "one GetLayerVersion call per ARN")
                #expect(counts.downloads == once, "one download per ARN")
                #expect(counts.rejected == 0)

                let images = Set(planned.values.map(\.image))
                #expect(images.count == 20, "no two functions share runtime, architecture and layers")
                #expect(Progress(first.stdout).built(kind: "image") == Set(images.map { "image:" + $0 }))
                #expect(Progress(first.stdout).built(kind: "layer") == Set(app.arns.map { "layer:" + $0 }))
                for function in functions {
                    let image = try #require(planned[function.name])
                    let contents = try await ImageContents.read(image.image, host: host)
                    app.expect(contents, of: function, image: image.image)
                }

                // The cache: the five layers under SAM's names, with their files and modes.
                let samNames = try await app.samNames()
                let entries = try FileManager.default.contentsOfDirectory(atPath: app.cache)
                #expect(Set(entries) == Set(samNames + [".prewarm"]), "\(entries)")
                for (index, name) in samNames.enumerated() {
                    let tag = app.layers[index].tag
                    #expect(
                        app.tree(app.cache + "/" + name) == [
                            "bin/", "bin/\(tag)", "python/", "python/\(tag).py", "shared.txt",
                        ])
                    #expect(mode(app.cache + "/\(name)/bin/\(tag)") == 0o755)
                    #expect(mode(app.cache + "/\(name)/python/\(tag).py") == 0o644)
                }

                // The journal: each layer node succeeded with the digest the cache records for it.
                let status = try await app.status()
                #expect(status.run.outcome == "succeeded")
                var digests: [String: String] = [:]
                for (arn, name) in zip(app.arns, samNames) {
                    let node = status.node("layer:" + arn)
                    #expect(node?.state == "succeeded", "\(String(describing: node))")
                    let recorded = try app.recordedDigest(name)
                    #expect(recorded.hasPrefix("sha256:") && recorded.count == 71)
                    #expect(node?.output == recorded, "the journal has the layer's digest")
                    digests[arn] = recorded
                }
                #expect(Set(digests.values).count == 5, "five layers, five digests")

                let second = try await app.build(app.environment(servers))
                #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
                #expect(Progress(second.stdout).built(kind: "image").isEmpty, "no image is built again")
                #expect(Progress(second.stdout).built(kind: "layer").isEmpty)
                let again = try await servers.counts()
                #expect(again.calls == once, "no more GetLayerVersion calls")
                #expect(again.downloads == once, "no more downloads")
                let secondStatus = try await app.status()
                for arn in app.arns {
                    let node = secondStatus.node("layer:" + arn)
                    #expect(node?.state == "skipped" && node?.output == digests[arn], "\(String(describing: node))")
                }

                // Every layer is cached: no credentials are needed, and none are asked for.
                let third = try await app.build(app.environment(nil))
                #expect(third.status == 0, "\(third.stdout)\n\(third.stderr)")
                #expect(Progress(third.stdout).built(kind: "image").isEmpty)
                #expect(try await servers.counts().calls == once)
            }
            await app.removeImages()
        }

        // MARK: - 2, 3. Credentials

        /// No AWS variable and an empty HOME: exit 2 before any work, with one line that names the layer
        /// and says what to set; no image, no journal run, no cache entry.
        @Test func missingCredentialsAreOneLineNamingTheLayerAndNothingIsBuilt() async throws {
            guard let host = Self.dockerd else { return }
            let app = try await ARNApp.make(
                host: host, layers: [ARNApp.Layer("alpha")],
                functions: [
                    ARNApp.Function("Python", "python3.12", "x86_64", layers: [0]),
                    ARNApp.Function("Node", "nodejs20.x", "arm64", layers: [0]),
                ])
            defer { app.directory.remove() }
            let planned = try await app.plannedImages()

            let result = try await app.build(app.environment(nil))
            #expect(result.status == 2, "\(result.stdout)\n\(result.stderr)")
            let error = BuildFaultTests.singleErrorLine(result)
            #expect(error.contains("layer \(app.arns[0])"), "names the layer: \(error)")
            #expect(error.contains("no AWS credentials"))
            #expect(error.contains("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), "says what to set: \(error)")
            #expect(Progress(result.stdout).events.isEmpty, "no node was started")
            #expect(try await app.recordedRunOutcomes().allSatisfy { $0 != "succeeded" })
            #expect(app.tree(app.cache).allSatisfy { $0.hasPrefix(".prewarm") }, "no layer in the cache")
            for image in planned.values {
                #expect(try await !ImageContents.exists(image.image, host: host), "\(image.image) was not built")
            }
        }

        /// A wrong secret: the fixture refuses the signature, the layer fails with one line naming it and
        /// `lambda:GetLayerVersion` (exit 1), and neither secret nor any pre-signed URL's signature appears
        /// in the output or in the journal's bytes.
        @Test func aWrongSecretFailsTheLayerAndNoSecretIsPrintedOrRecorded() async throws {
            guard let host = Self.dockerd else { return }
            let app = try await ARNApp.make(
                host: host, layers: [ARNApp.Layer("alpha")],
                functions: [
                    ARNApp.Function("Python", "python3.12", "x86_64", layers: [0]),
                    ARNApp.Function("Node", "nodejs20.x", "arm64", layers: [0]),
                ])
            defer { app.directory.remove() }
            let wrong = "prewarm/WRONG/secret+key1111111111111111"
            try await withLayerServers(try await app.fixtureLayers()) { servers in
                let result = try await app.build(app.environment(servers, secret: wrong))
                #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
                let error = BuildFaultTests.singleErrorLine(result)
                #expect(error.contains(app.arns[0]), "names the layer: \(error)")
                #expect(error.contains("lambda:GetLayerVersion"), "names the permission: \(error)")
                #expect(error.contains("InvalidSignatureException"), "carries what AWS said: \(error)")
                let counts = try await servers.counts()
                #expect(counts.rejected == 1, "refused once, not retried")
                #expect(counts.downloads[app.arns[0]] == 0)

                let status = try await app.status()
                #expect(status.run.outcome == "failed")
                #expect(status.node("layer:" + app.arns[0])?.state == "failed")
                #expect(status.nodes.filter { $0.id.hasPrefix("image:") }.allSatisfy { $0.state == "skipped" })
                #expect(app.tree(app.cache).allSatisfy { $0.hasPrefix(".prewarm") }, "no layer in the cache")
                try app.expectNoSecrets(
                    in: result, secrets: [wrong, servers.credentials.secretAccessKey],
                    recorded: "InvalidSignatureException")
            }
        }

        // MARK: - 4. Faults

        /// The first GetLayerVersion call answers 500: retried, and the build succeeds.
        @Test func aLookupThatFailsOnceWith500IsRetriedAndTheBuildSucceeds() async throws {
            guard let host = Self.dockerd else { return }
            let app = try await ARNApp.make(
                host: host, layers: [ARNApp.Layer("alpha", failFirst: [500]), ARNApp.Layer("beta")],
                functions: [
                    ARNApp.Function("Flaky", "python3.12", "x86_64", layers: [0]),
                    ARNApp.Function("Both", "nodejs20.x", "arm64", layers: [1, 0]),
                ])
            defer { app.directory.remove() }
            try await withLayerServers(try await app.fixtureLayers()) { servers in
                let result = try await app.build(app.environment(servers))
                #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
                let counts = try await servers.counts()
                #expect(counts.calls == [app.arns[0]: 2, app.arns[1]: 1], "the 500, then the answer")
                #expect(counts.downloads == [app.arns[0]: 1, app.arns[1]: 1])
                let planned = try await app.plannedImages()
                for function in app.functions {
                    let image = try #require(planned[function.name]).image
                    app.expect(try await ImageContents.read(image, host: host), of: function, image: image)
                }
            }
            await app.removeImages()
        }

        /// A layer whose zip has a `../../x` entry: that layer fails with one line naming the entry, its
        /// images are not built, the other layer's are; nothing lands outside the cache's temporary
        /// directory, and the cache has no entry for it.
        @Test func aHostileLayerZipFailsOnlyItsImagesAndWritesNothingOutside() async throws {
            guard let host = Self.dockerd else { return }
            let app = try await ARNApp.make(
                host: host, layers: [ARNApp.Layer("hostile", zip: "traversal.zip"), ARNApp.Layer("good")],
                functions: [
                    ARNApp.Function("Hostile", "python3.12", "x86_64", layers: [0]),
                    ARNApp.Function("HostileToo", "nodejs20.x", "arm64", layers: [1, 0]),
                    ARNApp.Function("Good", "python3.12", "arm64", layers: [1]),
                ])
            defer { app.directory.remove() }
            let samNames = try await app.samNames()
            try await withLayerServers(try await app.fixtureLayers()) { servers in
                let outside = app.tree(app.directory.path).filter {
                    !$0.hasPrefix("cache/") && !$0.hasPrefix("journal/")
                }
                let result = try await app.build(app.environment(servers))
                #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
                let error = BuildFaultTests.singleErrorLine(result)
                #expect(error.hasPrefix("layer:\(app.arns[0]): "), "names the layer: \(error)")
                #expect(error.contains("entry '../../x' escapes the layer directory"), "\(error)")
                #expect(try await servers.counts().downloads == [app.arns[0]: 1, app.arns[1]: 1])

                let planned = try await app.plannedImages()
                let status = try await app.status()
                #expect(status.node("layer:" + app.arns[0])?.state == "failed")
                for name in ["Hostile", "HostileToo"] {
                    #expect(status.node("image:" + (planned[name]?.image ?? ""))?.state == "skipped", "\(name)")
                    #expect(try await !ImageContents.exists(planned[name]?.image ?? "", host: host))
                }
                let good = try #require(planned["Good"]).image
                #expect(status.node("image:" + good)?.state == "succeeded")
                app.expect(try await ImageContents.read(good, host: host), of: app.functions[2], image: good)

                // Only the good layer is cached; of the hostile one, only its lock file is left.
                let goodDirectory = samNames[1] + "/"
                let cached = app.tree(app.cache).filter { $0 == goodDirectory || !$0.hasPrefix(goodDirectory) }
                let expected = [
                    ".prewarm/", ".prewarm/\(samNames[0]).lock", ".prewarm/\(samNames[1]).json",
                    ".prewarm/\(samNames[1]).lock", goodDirectory,
                ]
                #expect(cached == expected.sorted())
                #expect(
                    app.tree(app.directory.path).filter { !$0.hasPrefix("cache/") && !$0.hasPrefix("journal/") }
                        == outside, "nothing written outside the cache")
                #expect(!FileManager.default.fileExists(atPath: app.directory.path + "/x"))
            }
            await app.removeImages()
        }

        /// GetLayerVersion states a CodeSha256 that is not the zip's: one clear line, nothing cached, no
        /// pre-signed URL's signature printed or recorded.
        @Test func aChecksumMismatchIsOneLineAndNothingIsCached() async throws {
            guard let host = Self.dockerd else { return }
            let app = try await ARNApp.make(
                host: host, layers: [ARNApp.Layer("liar", wrongChecksum: true)],
                functions: [ARNApp.Function("Python", "python3.12", "x86_64", layers: [0])])
            defer { app.directory.remove() }
            let samNames = try await app.samNames()
            try await withLayerServers(try await app.fixtureLayers()) { servers in
                let result = try await app.build(app.environment(servers))
                #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
                let error = BuildFaultTests.singleErrorLine(result)
                #expect(error.hasPrefix("layer:\(app.arns[0]): "), "names the layer: \(error)")
                #expect(error.contains("not the expected"), "\(error)")
                #expect(error.contains("nothing was cached"), "\(error)")
                #expect(try await servers.counts().downloads == [app.arns[0]: 1])
                #expect(app.tree(app.cache) == [".prewarm/", ".prewarm/\(samNames[0]).lock"], "nothing cached")
                // The message has the pre-signed URL, with its signature and credential redacted.
                #expect(error.contains("X-Amz-Signature=REDACTED"), "\(error)")
                try app.expectNoSecrets(
                    in: result, secrets: [servers.credentials.secretAccessKey], recorded: "X-Amz-Signature=REDACTED")
            }
        }

        // MARK: - 5. Resume

        /// One of five layers keeps failing (503 on every attempt): the images that do not need it are
        /// built. `--resume` then asks Lambda only for that layer, downloads only it, and builds exactly the
        /// images that use it.
        @Test func resumeAfterAFailedLayerFetchesOnlyThatLayer() async throws {
            guard let host = Self.dockerd else { return }
            let tags = ["alpha", "beta", "gamma", "delta", "epsilon"]
            let functions: [ARNApp.Function] = (0..<10).map { (index: Int) -> ARNApp.Function in
                let even = index % 2 == 0
                return ARNApp.Function(
                    "Fn\(index)", even ? "python3.12" : "nodejs20.x", even ? "x86_64" : "arm64", layers: [index % 5])
            }
            let app = try await ARNApp.make(
                host: host,
                layers: tags.map { ARNApp.Layer($0, failFirst: $0 == "gamma" ? [503, 503, 503, 503] : []) },
                functions: functions)
            defer { app.directory.remove() }
            let failing = app.arns[2]
            let planned = try await app.plannedImages()
            let needFailing = Set(functions.filter { $0.layers == [2] }.compactMap { planned[$0.name]?.image })
            #expect(needFailing.count == 2)
            try await withLayerServers(try await app.fixtureLayers()) { servers in
                let first = try await app.build(app.environment(servers))
                #expect(first.status == 1, "\(first.stdout)\n\(first.stderr)")
                let error = BuildFaultTests.singleErrorLine(first)
                #expect(error.hasPrefix("layer:\(failing): ") && error.contains("after 4 attempts"), "\(error)")
                let builtFirst = Progress(first.stdout).built(kind: "image")
                #expect(builtFirst.count == 8)
                #expect(builtFirst.isDisjoint(with: needFailing.map { "image:" + $0 }))
                var calls = Dictionary(uniqueKeysWithValues: app.arns.map { ($0, 1) })
                var downloads = calls
                calls[failing] = 4
                downloads[failing] = 0
                let counts = try await servers.counts()
                #expect(counts.calls == calls)
                #expect(counts.downloads == downloads)

                let resumed = try await app.build(app.environment(servers), ["--resume"])
                #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
                #expect(resumed.stderr.contains("prewarm: resuming run 1 (failed)"), "\(resumed.stderr)")
                #expect(Progress(resumed.stdout).built(kind: "image") == Set(needFailing.map { "image:" + $0 }))
                #expect(Progress(resumed.stdout).built(kind: "layer") == ["layer:" + failing])
                calls[failing] = 5
                downloads[failing] = 1
                let after = try await servers.counts()
                #expect(after.calls == calls, "only the failed layer is asked for again")
                #expect(after.downloads == downloads, "only the failed layer is downloaded")
                let status = try await app.status()
                #expect(status.run.outcome == "succeeded")
                for arn in app.arns where arn != failing {
                    #expect(status.node("layer:" + arn)?.state == "skipped", "verified in the cache: \(arn)")
                }
            }
            await app.removeImages()
        }

        // MARK: - 6. A local zip layer

        /// A template layer whose ContentUri is a zip: built with its files under /opt; an unchanged zip
        /// rebuilds nothing; a changed one rebuilds exactly the images that use it. No credentials needed.
        @Test func aLocalZipLayerIsKeyedByItsContent() async throws {
            guard let host = Self.dockerd else { return }
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
            let template = try directory.write(
                "app/template.yaml",
                """
                Transform: AWS::Serverless-2016-10-31
                Globals:
                  Function: {Handler: app.handler, CodeUri: src/}
                Resources:
                  Zipped\(unique.prefix(8)):
                    Type: AWS::Serverless::LayerVersion
                    Properties: {ContentUri: layer.zip}
                  Dir\(unique.prefix(8)):
                    Type: AWS::Serverless::LayerVersion
                    Properties: {ContentUri: dir-layer}
                  UsesZip:
                    Type: AWS::Serverless::Function
                    Properties: {Runtime: python3.12, Layers: [!Ref Zipped\(unique.prefix(8))]}
                  UsesZipArm:
                    Type: AWS::Serverless::Function
                    Properties:
                      Runtime: nodejs20.x
                      Architectures: [arm64]
                      Layers: [!Ref Dir\(unique.prefix(8)), !Ref Zipped\(unique.prefix(8))]
                  UsesDir:
                    Type: AWS::Serverless::Function
                    Properties: {Runtime: provided.al2023, Layers: [!Ref Dir\(unique.prefix(8))]}
                """)
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
            let arm = try await ImageContents.read(try #require(images["UsesZipArm"]).image, host: host)
            #expect(arm.architecture == "arm64")
            #expect(arm.files["opt/python/one.py"]?.text == "name = 'one'\n")
            #expect(arm.files["opt/python/dir.py"]?.text == "name = 'dir'\n")
            #expect(arm.files["opt/bin/one"]?.mode == 0o755)
            #expect(arm.files["opt/shared.txt"]?.text == "from one\n")
            let zipped = try await ImageContents.read(try #require(images["UsesZip"]).image, host: host)
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
            let rebuilt = try await ImageContents.read(try #require(images["UsesZip"]).image, host: host)
            #expect(rebuilt.files["opt/python/two.py"]?.text == "name = 'two'\n")
            #expect(rebuilt.files["opt/python/one.py"] == nil)
            await BuildFaultTests.EngineTool.remove(images.values.map(\.image), at: host)
        }

        // MARK: - 7. The size limit

        /// A layer that expands to more than `--max-layer-size 1MB`: one line naming the layer and the flag,
        /// nothing cached. Without the flag (1 GiB) the same layer builds.
        @Test func aLayerLargerThanTheLimitIsOneLineNamingTheFlag() async throws {
            guard let host = Self.dockerd else { return }
            let app = try await ARNApp.make(
                host: host, layers: [ARNApp.Layer("big", zip: "big-big.zip")],
                functions: [ARNApp.Function("Python", "python3.12", "x86_64", layers: [0])])
            defer { app.directory.remove() }
            let samNames = try await app.samNames()
            try await withLayerServers(try await app.fixtureLayers()) { servers in
                let limited = try await app.build(app.environment(servers), ["--max-layer-size", "1MB"])
                #expect(limited.status == 1, "\(limited.stdout)\n\(limited.stderr)")
                let error = BuildFaultTests.singleErrorLine(limited)
                #expect(error.hasPrefix("layer:\(app.arns[0]): "), "names the layer: \(error)")
                #expect(error.contains("more than the limit of 1000000 (--max-layer-size)"), "\(error)")
                #expect(app.tree(app.cache) == [".prewarm/", ".prewarm/\(samNames[0]).lock"], "nothing cached")

                let unlimited = try await app.build(app.environment(servers))
                #expect(unlimited.status == 0, "\(unlimited.stdout)\n\(unlimited.stderr)")
                let image = try #require(try await app.plannedImages()["Python"]).image
                let contents = try await ImageContents.read(image, host: host)
                #expect(contents.files["opt/data/zeros.bin"]?.size == 2 << 20)
                #expect(try await servers.counts().downloads == [app.arns[0]: 2])
            }
            await app.removeImages()
        }
    }
}

// MARK: - The app of a test

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

        /// SAM CLI's name of each layer, computed as SAM CLI does (with Python's hashlib, not prewarm's code):
        /// `NAME-VERSION-` and the first 10 hex digits of the SHA-256 of the ARN.
        func samNames() async throws -> [String] {
            let script = """
                import hashlib, sys
                for arn in sys.argv[1:]:
                    parts = arn.split(":")
                    print("%s-%s-%s" % (parts[6], parts[7], hashlib.sha256(arn.encode()).hexdigest()[:10]))
                """
            let result = try await CommandRunner.run(
                try #require(CommandRunner.which("python3")), ["-c", script] + arns)
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
            _ contents: ImageContents, of function: Function, image: String,
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

    /// The events of a `--progress json` run.
    struct Progress {
        var events: [[String: Any]]

        init(_ output: String) {
            events = output.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.filter { $0["event"] as? String != "summary" }
        }

        /// The nodes of `kind` (image, layer, base) that finished as built.
        func built(kind: String) -> Set<String> {
            var nodes: Set<String> = []
            for event in events
            where event["event"] as? String == "finished" && event["kind"] as? String == kind
                && event["outcome"] as? String == "built"
            {
                if let node = event["node"] as? String { nodes.insert(node) }
            }
            return nodes
        }
    }

    /// An image's architecture and the files under /opt and /var/rapid of a container made from it, read
    /// through the Engine API (create, export, remove) with Python's standard library.
    struct ImageContents: Decodable {
        struct Entry: Decodable, Equatable {
            var kind: String
            var mode: Int
            var size: Int
            /// A regular file's text, when it is at most 64 KiB.
            var text: String?
            var target: String?
        }

        var architecture: String
        var files: [String: Entry]

        static func read(_ image: String, host: String) async throws -> ImageContents {
            let result = try await run(["read", image], host: host)
            try #require(result.status == 0, "\(image): \(result.stderr)")
            return try JSONDecoder().decode(ImageContents.self, from: Data(result.stdout.utf8))
        }

        static func exists(_ image: String, host: String) async throws -> Bool {
            let result = try await run(["exists", image], host: host)
            try #require(result.status == 0, "\(image): \(result.stderr)")
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "yes"
        }

        private static func run(_ arguments: [String], host: String) async throws -> CommandResult {
            let directory = try TemporaryDirectory("prewarm-image-contents")
            defer { directory.remove() }
            let script = try directory.write("contents.py", Self.script)
            return try await CommandRunner.run(
                try #require(CommandRunner.which("python3")), [script, host] + arguments)
        }

        static let script = #"""
            import http.client, io, json, socket, sys, tarfile
            host, command, image = sys.argv[1], sys.argv[2], sys.argv[3]
            path = host[len("unix://"):]
            class Conn(http.client.HTTPConnection):
                def connect(self):
                    self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(path)
            def call(method, url, body=None):
                c = Conn("localhost"); c.request(method, "/v1.41" + url, body=body,
                    headers={"Content-Type": "application/json"} if body else {})
                r = c.getresponse(); data = r.read(); return r.status, data
            status, data = call("GET", "/images/" + image + "/json")
            if command == "exists":
                print("yes" if status == 200 else "no"); sys.exit(0)
            if status != 200:
                sys.exit("no image %s: %d %s" % (image, status, data[:300]))
            architecture = json.loads(data)["Architecture"]
            status, data = call("POST", "/containers/create", json.dumps({"Image": image, "Cmd": ["true"]}))
            assert status == 201, (status, data)
            cid = json.loads(data)["Id"]
            try:
                status, data = call("GET", "/containers/" + cid + "/export")
                assert status == 200, status
            finally:
                call("DELETE", "/containers/" + cid + "?force=1")
            files = {}
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                for member in archive.getmembers():
                    name = member.name
                    while name.startswith("./"):
                        name = name[2:]
                    name = name.strip("/")
                    if not (name.startswith("opt/") or name.startswith("var/rapid/")):
                        continue
                    entry = {"mode": member.mode & 0o7777, "size": member.size}
                    if member.isfile():
                        entry["kind"] = "file"
                        if member.size <= 65536:
                            entry["text"] = archive.extractfile(member).read().decode("utf-8", "replace")
                    elif member.isdir():
                        entry["kind"] = "directory"
                    elif member.issym():
                        entry["kind"] = "link"; entry["target"] = member.linkname
                    else:
                        entry["kind"] = "other"
                    files[name] = entry
            print(json.dumps({"architecture": architecture, "files": files}))
            """#
    }
}

/// The permission bits of `path` (not following a link).
private func mode(_ path: String) -> UInt32 {
    var status = stat()
    lstat(path, &status)
    return UInt32(status.st_mode) & 0o7777
}
