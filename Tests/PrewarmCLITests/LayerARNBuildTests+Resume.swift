import Foundation
import PrewarmTestKit
import Testing

extension EngineTests.LayerARNBuildTests {
    /// `--resume` after a layer that kept failing.
    @Suite struct Resume {
        /// One of five layers keeps failing (503 on every attempt): the images that do not need it are
        /// built. `--resume` then asks Lambda only for that layer, downloads only it, and builds exactly the
        /// images that use it.
        @Test func resumeAfterAFailedLayerFetchesOnlyThatLayer() async throws {
            guard let host = EngineTests.LayerARNBuildTests.dockerd else { return }
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
                let error = EngineTests.BuildFaultTests.singleErrorLine(first)
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
    }
}
