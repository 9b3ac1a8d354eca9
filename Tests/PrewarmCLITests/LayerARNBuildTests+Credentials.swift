import Foundation
import PrewarmTestKit
import Testing

extension EngineTests.LayerARNBuildTests {
    /// Missing and wrong AWS credentials: one line naming the layer, nothing built, no secret printed or recorded.
    @Suite struct Credentials {
        /// No AWS variable and an empty HOME: exit 2 before any work, with one line that names the layer
        /// and says what to set; no image, no journal run, no cache entry.
        @Test func missingCredentialsAreOneLineNamingTheLayerAndNothingIsBuilt() async throws {
            guard let host = EngineTests.LayerARNBuildTests.dockerd else { return }
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
            let error = EngineTests.BuildFaultTests.singleErrorLine(result)
            #expect(error.contains("layer \(app.arns[0])"), "names the layer: \(error)")
            #expect(error.contains("no AWS credentials"))
            #expect(error.contains("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), "says what to set: \(error)")
            #expect(Progress(result.stdout).events.isEmpty, "no node was started")
            #expect(try await app.recordedRunOutcomes().allSatisfy { $0 != "succeeded" })
            #expect(app.tree(app.cache).allSatisfy { $0.hasPrefix(".prewarm") }, "no layer in the cache")
            for image in planned.values {
                #expect(try await !ImageFiles.exists(image.image, host: host), "\(image.image) was not built")
            }
        }

        /// A wrong secret: the fixture refuses the signature, the layer fails with one line naming it and
        /// `lambda:GetLayerVersion` (exit 1), and neither secret nor any pre-signed URL's signature appears
        /// in the output or in the journal's bytes.
        @Test func aWrongSecretFailsTheLayerAndNoSecretIsPrintedOrRecorded() async throws {
            guard let host = EngineTests.LayerARNBuildTests.dockerd else { return }
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
                let error = EngineTests.BuildFaultTests.singleErrorLine(result)
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
    }
}
