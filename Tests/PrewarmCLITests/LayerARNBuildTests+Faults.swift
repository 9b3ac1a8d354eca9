import Foundation
import PrewarmTestKit
import Testing

extension EngineTests.LayerARNBuildTests {
    /// Faults of Lambda and of the layers themselves: a 500 that is retried, a hostile zip, a wrong checksum.
    @Suite struct Faults {
        /// The first GetLayerVersion call answers 500: retried, and the build succeeds.
        @Test func aLookupThatFailsOnceWith500IsRetriedAndTheBuildSucceeds() async throws {
            guard let host = EngineTests.LayerARNBuildTests.dockerd else { return }
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
                    app.expect(try await ImageFiles.read(image, host: host), of: function, image: image)
                }
            }
            await app.removeImages()
        }

        /// A layer whose zip has a `../../x` entry: that layer fails with one line naming the entry, its
        /// images are not built, the other layer's are; nothing lands outside the cache's temporary
        /// directory, and the cache has no entry for it.
        @Test func aHostileLayerZipFailsOnlyItsImagesAndWritesNothingOutside() async throws {
            guard let host = EngineTests.LayerARNBuildTests.dockerd else { return }
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
                let error = EngineTests.BuildFaultTests.singleErrorLine(result)
                #expect(error.hasPrefix("layer:\(app.arns[0]): "), "names the layer: \(error)")
                #expect(error.contains("entry '../../x' escapes the layer directory"), "\(error)")
                #expect(try await servers.counts().downloads == [app.arns[0]: 1, app.arns[1]: 1])

                let planned = try await app.plannedImages()
                let status = try await app.status()
                #expect(status.node("layer:" + app.arns[0])?.state == "failed")
                for name in ["Hostile", "HostileToo"] {
                    #expect(status.node("image:" + (planned[name]?.image ?? ""))?.state == "skipped", "\(name)")
                    #expect(try await !ImageFiles.exists(planned[name]?.image ?? "", host: host))
                }
                let good = try #require(planned["Good"]).image
                #expect(status.node("image:" + good)?.state == "succeeded")
                app.expect(try await ImageFiles.read(good, host: host), of: app.functions[2], image: good)

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
            guard let host = EngineTests.LayerARNBuildTests.dockerd else { return }
            let app = try await ARNApp.make(
                host: host, layers: [ARNApp.Layer("liar", wrongChecksum: true)],
                functions: [ARNApp.Function("Python", "python3.12", "x86_64", layers: [0])])
            defer { app.directory.remove() }
            let samNames = try await app.samNames()
            try await withLayerServers(try await app.fixtureLayers()) { servers in
                let result = try await app.build(app.environment(servers))
                #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
                let error = EngineTests.BuildFaultTests.singleErrorLine(result)
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
    }
}
