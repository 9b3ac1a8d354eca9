import Foundation
import PrewarmArchive
import PrewarmImage
import PrewarmOCI
import PrewarmPlan
import PrewarmRun
import PrewarmSupport
import PrewarmTemplate
import PrewarmTestKit
import Testing

/// The contract between `EngineExecutor` and an engine: typed sources in (the base by reference,
/// the emulator and each layer's directory with its digest, an `OCIPlatform`), an image ID out,
/// and each node's result typed by kind. The engine here records what it is asked and keeps
/// "images" in memory; the real engines are tested in PrewarmImageTests and PrewarmCLITests.
@Suite struct EngineExecutorTests {
    struct Asked: Sendable {
        var bases: [(reference: String, platform: OCIPlatform, pull: Bool)] = []
        var builds: [ImageBuildRequest] = []
        var images: [String: EngineImage] = [:]
    }

    struct RecordingEngine: ImageEngine {
        let asked = PrewarmSupport.Locked(Asked())
        var description: String { "recording engine" }

        func image(named name: String) async throws -> EngineImage? {
            asked.withLock { $0.images[name] }
        }

        func prepareBase(_ reference: String, platform: OCIPlatform, pull: Bool) async throws -> EngineImage {
            asked.withLock { $0.bases.append((reference, platform, pull)) }
            return EngineImage(
                id: ContentDigest.text("\(reference) \(platform)"), names: [reference], labels: [:],
                architecture: platform.architecture)
        }

        func build(_ request: ImageBuildRequest, output: @escaping @Sendable (String) -> Void) async throws
            -> EngineImage
        {
            asked.withLock { asked in
                asked.builds.append(request)
                let image = EngineImage(
                    id: ContentDigest.text("built \(asked.builds.count)"), names: [request.name],
                    labels: request.labels, architecture: request.platform.architecture)
                asked.images[request.name] = image
                return image
            }
        }

        func remove(_ name: String) async throws {}

        func names(inRepository repository: String) async throws -> [String] { [] }
    }

    @Test func theEngineGetsTypedSourcesAndEachNodeATypedResult() async throws {
        let directory = try TemporaryDirectory("engine-executor")
        defer { directory.remove() }
        try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\necho x86_64\n")
        try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\necho arm64\n")
        try directory.write("layers/one/python/one.py", "one\n")
        try directory.write("layers/two/python/two.py", "two\n")
        let template = try directory.write(
            "template.yaml",
            """
            Transform: AWS::Serverless-2016-10-31
            Resources:
              One:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: layers/one}
              Two:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: layers/two}
              Fn:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, Handler: a.b, Layers: [!Ref Two, !Ref One]}
              Plain:
                Type: AWS::Serverless::Function
                Properties: {Runtime: nodejs20.x, Handler: a.b}
            """)
        let plan = try Planner(options: PlanOptions(architectures: [.x86_64, .arm64]))
            .plan(try await TemplateLoader().load(template))
        let engine = RecordingEngine()
        var options = BuildOptions(pull: true, forceRebuild: false, workDirectory: directory.path, prewarmVersion: "t")
        options.localBases = ["public.ecr.aws/lambda/nodejs:20-arm64"]
        let executor = EngineExecutor(
            engine: engine, emulators: EmulatorLocator(directory: directory.path + "/rie"), options: options)
        let scheduler = Scheduler(options: SchedulerOptions(jobs: 2, downloadJobs: 2))
        let first = await scheduler.run(plan.graph, executor: executor)

        // Bases: one call each, with a typed platform; pulled unless they come from a local source.
        let asked = engine.asked.withLock { $0 }
        #expect(asked.bases.count == plan.graph.count(of: .base))
        for base in asked.bases {
            #expect(base.platform.os == "linux")
            #expect(base.reference.hasSuffix(base.platform.architecture == "arm64" ? "-arm64" : "-x86_64"))
            #expect(base.pull == (base.reference != "public.ecr.aws/lambda/nodejs:20-arm64"))
        }

        // Images: the sources, typed, in the order the function applies its layers.
        #expect(asked.builds.count == 4)
        let one = directory.path + "/layers/one"
        let two = directory.path + "/layers/two"
        for node in plan.graph.nodes {
            switch (node.payload, first.outcomes[node.id]) {
            case (.layer(.local(let path)), .succeeded(.upToDate(.layer(let layerDirectory, let digest)))?):
                #expect(layerDirectory == path)
                #expect(digest == (try ContentDigest.directory(path)))
            case (.base(let reference, let architecture), .succeeded(.upToDate(.base(let imageID)))?):
                #expect(imageID == ContentDigest.text("\(reference) \(architecture.ociPlatform)"))
            case (.image(let planned), .succeeded(.built(.image(let imageID)))?):
                let request = try #require(asked.builds.first { $0.name == planned.name })
                #expect(imageID == asked.images[planned.name]?.id)
                #expect(request.baseImage == planned.baseImage)
                #expect(request.platform == (try OCIPlatform(planned.architecture.platform)))
                #expect(request.emulator.path.hasSuffix("aws-lambda-rie-\(planned.architecture)"))
                #expect(request.emulator.contentDigest == (try ContentDigest.file(request.emulator.path)))
                #expect(request.workDirectory == directory.path)
                #expect(request.labels[ImageLabels.version] == "t")
                if planned.layers.isEmpty {
                    #expect(request.layers.isEmpty)
                } else {
                    #expect(request.layers.map(\.path) == [two, one])
                    #expect(
                        request.layers.map(\.contentDigest)
                            == [try ContentDigest.directory(two), try ContentDigest.directory(one)])
                }
            default:
                Issue.record("\(node.id): \(String(describing: first.outcomes[node.id]))")
            }
        }

        // A second run finds every image up to date, by the same ID, and asks for no build.
        let second = await scheduler.run(plan.graph, executor: executor)
        for node in plan.graph.nodes where node.kind == .image {
            guard case .image(let planned) = node.payload else { continue }
            guard case .succeeded(let result) = second.outcomes[node.id] else {
                Issue.record("\(node.id): \(String(describing: second.outcomes[node.id]))")
                continue
            }
            #expect(result == .upToDate(.image(imageID: asked.images[planned.name]?.id ?? "")))
        }
        #expect(engine.asked.withLock { $0.builds.count } == 4)
    }

    @Test func theBuildKeyTakesTheBaseFromTheNodeThePlanNames() throws {
        let planned = PlannedImage(
            name: "fn:rapid-x86_64", baseImage: "b:1", baseNodeID: "the-base", architecture: .x86_64, layers: [],
            contentKey: "k")
        #expect(planned.baseNodeID == "the-base")
        func key(_ inputs: [NodeID: WorkResult]) -> String {
            EngineExecutor.buildKey(planned, inputs: inputs, emulatorDigest: "sha256:e")
        }
        let a = key(["the-base": .upToDate(.base(imageID: "sha256:a"))])
        let b = key(["the-base": .upToDate(.base(imageID: "sha256:b"))])
        #expect(a != b, "another base image is another build")
        #expect(a == key(["the-base": .built(.base(imageID: "sha256:a"))]), "built or found, the same base")
        #expect(key(["base:b:1@linux/amd64": .upToDate(.base(imageID: "sha256:a"))]) != a, "only the named node counts")
        // Without a node ID given, the planner's name for the base node.
        #expect(
            PlannedImage(name: "n", baseImage: "b:1", architecture: .arm64, layers: [], contentKey: "k").baseNodeID
                == "base:b:1@linux/arm64")
    }
}
