import Foundation
import PrewarmImage
import PrewarmOCI
import PrewarmPlan
import PrewarmRun
import PrewarmTemplate
import PrewarmTestKit
import Testing

/// The scheduler and `EngineExecutor` building into an `OCIStore`: every image of a template
/// whose functions share layers, each layer blob written once, and nothing written again.
@Suite struct OCIExecutorTests {
    /// Stores a one-layer base image named `name` for `architecture`, as `prewarm import` would.
    static func addBase(_ name: String, architecture: String, to store: OCIStore) throws {
        let layer = try store.writeBlob(Data(count: 1024))  // an empty tar: two zero blocks
        let config: [String: Any] = [
            "architecture": architecture, "os": "linux",
            "config": ["WorkingDir": "/var/task", "Entrypoint": ["/lambda-entrypoint.sh"]],
            "rootfs": ["type": "layers", "diff_ids": [layer.digest]],
        ]
        let configBlob = try store.writeBlob(try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]))
        let manifest = OCIManifest(
            config: OCIDescriptor(
                mediaType: OCIMediaType.imageConfig, digest: configBlob.digest, size: configBlob.size),
            layers: [OCIDescriptor(mediaType: OCIMediaType.layer, digest: layer.digest, size: layer.size)])
        try store.addManifest(
            try JSONEncoder().encode(manifest), mediaType: OCIMediaType.imageManifest, names: [name],
            platform: OCIPlatform(architecture: architecture))
    }

    @Test func sharedLayersAreOneBlobEachAndASecondRunWritesNothing() async throws {
        let directory = try TemporaryDirectory("oci-executor")
        defer { directory.remove() }
        try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\necho x86_64\n")
        try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\necho arm64\n")
        var yaml = "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        for layer in 0..<3 {
            try directory.write("layers/l\(layer)/python/l\(layer).bin", String(repeating: "\(layer)", count: 100_000))
            yaml += "  L\(layer):\n    Type: AWS::Serverless::LayerVersion\n"
            yaml += "    Properties: {ContentUri: layers/l\(layer)}\n"
        }
        for function in 0..<6 {
            let layers = (0..<3).filter { (function + 1) & (1 << $0) != 0 }.map { "!Ref L\($0)" }
            yaml += "  Fn\(function):\n    Type: AWS::Serverless::Function\n"
            yaml += "    Properties: {Runtime: python3.12, Handler: a.b, Layers: [\(layers.joined(separator: ", "))]}\n"
        }
        let template = try directory.write("template.yaml", yaml)
        let plan = try Planner(options: PlanOptions(architectures: [.x86_64, .arm64]))
            .plan(try await TemplateLoader().load(template))
        let storePath = directory.path + "/store"
        let setup = try OCIStore(path: storePath)
        defer { setup.close() }
        try Self.addBase("public.ecr.aws/lambda/python:3.12-x86_64", architecture: "amd64", to: setup)
        try Self.addBase("public.ecr.aws/lambda/python:3.12-arm64", architecture: "arm64", to: setup)
        let blobsBefore = try FileManager.default.contentsOfDirectory(atPath: storePath + "/blobs/sha256")

        /// Image nodes that were built, and nodes that failed.
        func count(_ summary: RunSummary) -> (built: Int, failed: Int) {
            var built = 0
            var failed = 0
            for node in plan.graph.nodes where node.kind == .image {
                switch summary.outcomes[node.id] {
                case .succeeded(.built): built += 1
                case .succeeded, nil: break
                default: failed += 1
                }
            }
            return (built, failed)
        }
        func run(_ store: OCIStore) async -> RunSummary {
            let executor = EngineExecutor(
                engine: store, emulators: EmulatorLocator(directory: directory.path + "/rie"),
                options: BuildOptions(
                    pull: false, forceRebuild: false, workDirectory: directory.path, prewarmVersion: "test"))
            return await Scheduler(options: SchedulerOptions(jobs: 4, downloadJobs: 2)).run(
                plan.graph, executor: executor)
        }
        let cold = try OCIStore(path: storePath)
        defer { cold.close() }
        let first = await run(cold)
        let images = plan.graph.nodes.filter { $0.kind == .image }
        #expect(images.count == 12)
        #expect(count(first).built == 12 && count(first).failed == 0, "\(first.outcomes)")

        let added = Set(try FileManager.default.contentsOfDirectory(atPath: storePath + "/blobs/sha256"))
            .subtracting(blobsBefore)
        // 2 emulator layers, 3 Lambda layers (one blob each for both architectures), 12 configs and manifests.
        let expectedBlobs = 2 + 3 + 12 + 12
        #expect(added.count == expectedBlobs)
        let addedBytes: Int64 = added.compactMap { cold.blobSize("sha256:" + $0) }.reduce(0, +)
        #expect(cold.blobBytesWritten == addedBytes, "each blob written once")

        for node in images {
            guard case .image(let planned) = node.payload else { continue }
            let image = try #require(try await cold.image(named: planned.name), "\(planned.name)")
            #expect(image.labels[ImageLabels.contentKey] != nil)
            #expect(image.architecture == (planned.architecture == .arm64 ? "arm64" : "amd64"))
        }

        let warm = try OCIStore(path: storePath)
        defer { warm.close() }
        let second = await run(warm)
        #expect(count(second).built == 0 && count(second).failed == 0, "\(second.outcomes)")
        #expect(warm.bytesWritten == 0, "a second run writes nothing")
    }
}
