import Foundation
import PrewarmTestKit
import Testing

extension EngineTests.LayerARNBuildTests {
    /// Layers shared by many functions on both architectures: fetched, cached and recorded once.
    @Suite struct SharedLayers {
        /// 20 functions on both architectures and three runtimes share 5 layers by ARN: one GetLayerVersion
        /// call and one download per ARN, every image has its layers' files under /opt with their modes, the
        /// cache holds the 5 layers under SAM's names, and the journal records each layer's digest. A second
        /// build calls, downloads and builds nothing; a third, with no credentials at all, neither.
        @Test func twentyFunctionsOnTwoArchitecturesFetchEachOfFiveSharedLayersOnce() async throws {
            guard let host = EngineTests.LayerARNBuildTests.dockerd else { return }
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
                    let contents = try await ImageFiles.read(image.image, host: host)
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
    }
}
