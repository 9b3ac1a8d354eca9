import Foundation
import PrewarmTestKit
import Testing

/// `prewarm watch`: a change to one file of a local layer rebuilds exactly the images that use
/// the layer, once, within seconds; Ctrl-C stops it with exit 130 and a settled journal.
extension EngineTests {
    @Suite struct WatchTests {
        /// Alpha used by two images (x86_64, arm64), Beta by one.
        static let template = EngineTests.GCDockerTests.template(withBeta: true)

        static func summaries(_ lines: [String]) -> [Int] {
            lines.indices.filter { lines[$0].contains("\"event\":\"summary\"") }
        }

        @Test func aLayerEditRebuildsItsImagesOnceAndCtrlCStops() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let directory = try TemporaryDirectory("prewarm-watch")
            defer { directory.remove() }
            try directory.write("layers/alpha/python/alpha.py", "alpha = \(UUID().uuidString.debugDescription)\n")
            try directory.write("layers/beta/python/beta.py", "beta = \(UUID().uuidString.debugDescription)\n")
            try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\n")
            try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\n")
            let template = try directory.write("template.yaml", Self.template)
            let watch = try BackgroundProcess(
                PrewarmExecutable.path,
                [
                    "watch", template, "--docker-host", host, "--rie-dir", directory.path + "/rie", "--skip-pull-image",
                    "--progress", "json", "--quiet", "200",
                ])
            #expect(await watch.wait(timeout: .seconds(60)) { Self.summaries($0).count == 1 }, "\(watch.lines)")

            try directory.write("layers/alpha/python/alpha.py", "alpha = \(UUID().uuidString.debugDescription)\n")
            let changed = ContinuousClock.now
            #expect(await watch.wait(timeout: .seconds(30)) { Self.summaries($0).count == 2 }, "\(watch.lines)")
            let took = ContinuousClock.now - changed
            #expect(took < .seconds(10), "rebuilt within seconds: \(took)")
            let lines = watch.lines
            let second = Array(lines[(Self.summaries(lines)[0] + 1)...])
            let rebuilt = EngineTests.LocalLayerTests.builtImages(second.joined(separator: "\n"))
            #expect(rebuilt.count == 2, "the two Alpha images: \(rebuilt)")
            #expect(rebuilt.allSatisfy { !$0.contains("rapid") })

            // Once: no further build without a further change.
            try await Task.sleep(for: .seconds(2))
            #expect(Self.summaries(watch.lines).count == 2, "\(watch.lines.suffix(3))")

            let status = await watch.signal(SIGINT)
            #expect(status == 130)
            let runs = try await PrewarmExecutable.run(["runs", template, "--format", "json"])
            let records = try #require(
                try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])
            #expect(records.count == 2, "one run per build")
            #expect(records.allSatisfy { $0["outcome"] as? String == "succeeded" }, "\(records)")
        }
    }
}
