import Foundation
import PrewarmImage
import PrewarmRun
import PrewarmTestKit
import Testing

/// A third engine, `DirectoryEngine` (in the test kit), used through the library as a program would use it:
/// `doctor` finds everything a build needs, the build builds every image and a second build finds them up to
/// date, and `gc` removes what a changed layer left behind and a stand-in base — with no line of PrewarmRun
/// or the CLI knowing the engine. To add an engine, copy this test (CONTRIBUTING.md, "Adding an engine").
@Suite struct DirectoryEngineTests {
    /// The fixture project `sam/directory-engine`, copied, an emulator per architecture, and an engine holding
    /// the two base images; the configuration builds the project with it.
    static func setUp(in directory: TemporaryDirectory) throws -> (DirectoryEngine, BuildConfiguration) {
        try FileManager.default.copyItem(
            atPath: Fixtures.path("sam/directory-engine"), toPath: directory.path + "/project")
        try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\necho x86_64\n")
        try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\necho arm64\n")
        let engine = try DirectoryEngine(root: directory.path + "/engine")
        try engine.addBase("public.ecr.aws/lambda/python:3.12-x86_64", architecture: "amd64")
        try engine.addBase("public.ecr.aws/lambda/python:3.12-arm64", architecture: "arm64")
        var configuration = BuildConfiguration(templatePath: directory.path + "/project/template.yaml")
        configuration.engineSelection = EngineSelection(engine)
        configuration.inputs.emulatorDirectory = directory.path + "/rie"
        configuration.inputs.layerCacheDirectory = directory.path + "/layers"
        configuration.images.pull = false
        configuration.environment = ["HOME": directory.path, "PATH": "/usr/bin:/bin"]
        return (engine, configuration)
    }

    @Test func doctorFindsWhatABuildNeeds() async throws {
        let directory = try TemporaryDirectory("directory-engine")
        defer { directory.remove() }
        let (engine, configuration) = try Self.setUp(in: directory)
        let report = try await Doctor(configuration).run()
        #expect(!report.blocks, "\(report.checks)")
        let engineCheck = report.checks.first { $0.name == "engine" }
        #expect(engineCheck?.state == .ok)
        #expect(engineCheck?.detail == "\(engine.description); copies the emulator and the layers' files")
        #expect(report.checks.contains { $0.name == "base images" && $0.detail == "2 of 2 present" })
        #expect(!report.checks.contains { $0.name == "clock" }, "the engine runs on this machine's clock")
        #expect(report.checks.contains { $0.name == "disk" && $0.detail.hasSuffix(engine.root) })

        // Without a base, and with pulls off, the build is blocked.
        try await engine.remove("public.ecr.aws/lambda/python:3.12-arm64")
        let missing = try await Doctor(configuration).run()
        #expect(missing.blocks)
        #expect(
            missing.checks.contains { $0.name == "base images" && $0.state == .failed && $0.detail.contains("arm64") })
    }

    @Test func aBuildThenAnotherFindsEverythingUpToDate() async throws {
        let directory = try TemporaryDirectory("directory-engine")
        defer { directory.remove() }
        let (engine, configuration) = try Self.setUp(in: directory)
        let first = try await BuildSession(configuration).run()
        #expect(first.succeeded)
        #expect(first.engine == engine.description)
        #expect(first.images.count == 2)
        for name in first.images {
            let image = try #require(try await engine.image(named: name))
            #expect(image.labels[ImageLabels.contentKey] != nil)
            #expect(
                FileManager.default.fileExists(
                    atPath: "\(engine.root)/images/\(image.id.dropFirst(7))/rootfs/opt/python/helpers.py"))
        }
        // sam local never builds into this engine (`sharesImagesWithSAM` is false): no SAM build lock was taken.
        for name in first.images {
            #expect(!FileManager.default.fileExists(atPath: SAMBuildLock(name: name).statusPath))
        }
        let second = try await BuildSession(configuration).run()
        #expect(second.succeeded)
        #expect(second.summary.built == 0, "everything is up to date: \(second.summary.outcomes)")
    }

    @Test func gcRemovesWhatAChangedLayerLeftBehindAndStandIns() async throws {
        let directory = try TemporaryDirectory("directory-engine")
        defer { directory.remove() }
        let (engine, configuration) = try Self.setUp(in: directory)
        let first = try await BuildSession(configuration).run()
        #expect(first.succeeded)
        // A changed layer: both images are built again, and the earlier ones lose their names.
        try directory.write("project/layer/python/helpers.py", "def greet(name):\n    return 'hi ' + name\n")
        let second = try await BuildSession(configuration).run()
        #expect(second.succeeded)
        try engine.addBase(
            "public.ecr.aws/lambda/nodejs:20-x86_64", architecture: "amd64", labels: [StandIn.label: "base"])

        let listing = GarbageCollection(engine: engine, dryRun: true)
        #expect(try await listing.unneededContent(olderThan: 0)?.count == 2)
        #expect(try await listing.removeStandIns() == ["public.ecr.aws/lambda/nodejs:20-x86_64"])
        let dryRun = try await listing.removeTemplateImages(of: second.plan)
        #expect(dryRun.map(\.removal.reason) == [.dangling, .dangling])
        #expect(try await engine.allImages().count == 7, "a dry run removes nothing")

        let gc = try await GarbageCollection(configuration.engineSelection)
        #expect(try await gc.removeStandIns() == ["public.ecr.aws/lambda/nodejs:20-x86_64"])
        let removed = try await gc.removeTemplateImages(of: second.plan)
        #expect(removed.count == 2 && removed.allSatisfy { $0.refusal == nil })
        #expect(try await gc.unneededContent(olderThan: 0)?.count == 1, "the stand-in's image, no name left")
        #expect(try await gc.removeUnneededContent(olderThan: 0)?.removed == 1)
        let left = try await engine.allImages()
        #expect(left.count == 4 && left.allSatisfy { !$0.isDangling }, "two bases and two images: \(left)")
        for name in second.images { #expect(try await engine.image(named: name) != nil) }
    }
}
