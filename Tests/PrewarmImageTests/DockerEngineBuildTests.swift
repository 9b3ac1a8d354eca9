import Foundation
import PrewarmArchive
import PrewarmImage
import PrewarmOCI
import PrewarmSupport
import PrewarmTestKit
import Testing

/// `DockerEngine.build` from typed sources, on each engine ci/test starts (`PREWARM_TEST_DOCKER_HOST`,
/// `PREWARM_TEST_PODMAN_HOST`, with ci/services/base-images loaded): the engine writes its own archive
/// (the bare layer for dockerd, a Dockerfile context for Podman) under the request's work directory and
/// removes it, and checks the base before it writes anything.
@Suite struct DockerEngineBuildTests {
    /// The engines to test, by name and host.
    static let engines: [(String, String)] = {
        let environment = ProcessInfo.processInfo.environment
        return [("dockerd", "PREWARM_TEST_DOCKER_HOST"), ("podman", "PREWARM_TEST_PODMAN_HOST")].compactMap {
            name, key in
            environment[key].flatMap { $0.isEmpty ? nil : (name, $0) }
        }
    }()

    static let base = "public.ecr.aws/lambda/python:3.12-x86_64"

    @Test func enginesAreAvailableWhenRequired() {
        if ProcessInfo.processInfo.environment["PREWARM_REQUIRE_ENGINES"] == "1" {
            #expect(Self.engines.count == 2, "ci/test starts dockerd and podman and exports their sockets")
        }
    }

    @Test func eachEngineWritesItsOwnArchiveAndRemovesIt() async throws {
        for (name, host) in Self.engines {
            let engine = try await DockerEngine(endpoint: DockerEngine.Endpoint(host: host))
            #expect(engine.buildForm == (name == "dockerd" ? .layer : .dockerfileContext), "\(name)")
            let directory = try TemporaryDirectory("engine-build")
            defer { directory.remove() }
            let unique = UUID().uuidString.lowercased()
            let emulator = try directory.write("rie/aws-lambda-rie", "#!/bin/sh\necho emulator \(unique)\n")
            try directory.write("layer/python/mod.py", "value = 1\n")
            let work = directory.path + "/work"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let imageName = "prewarm-engine-test/build:\(unique)"
            let built = try await engine.build(
                ImageBuildRequest(
                    name: imageName, baseImage: Self.base, platform: OCIPlatform(architecture: "amd64"),
                    emulator: ImageBuildRequest.Source(path: emulator),
                    layers: [ImageBuildRequest.Source(path: directory.path + "/layer")],
                    labels: ["dev.prewarm.content-key": "key-\(unique)"], workDirectory: work)
            ) { _ in }
            #expect(built.names.contains(imageName), "\(name): \(built.names)")
            #expect(built.architecture == "amd64", "\(name)")
            #expect(built.labels["dev.prewarm.content-key"] == "key-\(unique)", "\(name)")
            #expect(try await engine.image(named: imageName)?.id == built.id, "\(name)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "\(name) left its archive")
            try await engine.remove(imageName)
        }
    }

    @Test func aBaseOfTheWrongArchitectureOrAMissingSourceFailsBeforeAnythingIsSent() async throws {
        for (name, host) in Self.engines {
            let engine = try await DockerEngine(endpoint: DockerEngine.Endpoint(host: host))
            let directory = try TemporaryDirectory("engine-build-fail")
            defer { directory.remove() }
            let emulator = try directory.write("rie/aws-lambda-rie", "#!/bin/sh\necho emulator\n")
            let work = directory.path + "/work"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let imageName = "prewarm-engine-test/fail:\(UUID().uuidString.lowercased())"
            func request(platform: String, layer: String) -> ImageBuildRequest {
                ImageBuildRequest(
                    name: imageName, baseImage: Self.base, platform: OCIPlatform(architecture: platform),
                    emulator: ImageBuildRequest.Source(path: emulator),
                    layers: [ImageBuildRequest.Source(path: layer)], workDirectory: work)
            }
            try directory.write("layer/a.txt", "a\n")

            // The classic builder would build an amd64 image "for" arm64 on this base without a word.
            let wrongArchitecture = await #expect(throws: EngineError.self) {
                _ = try await engine.build(request(platform: "arm64", layer: directory.path + "/layer")) { _ in }
            }
            #expect(wrongArchitecture?.code == .missingBase, "\(name)")
            #expect(wrongArchitecture?.message.contains("amd64") == true, "\(name)")

            let missingLayer = await #expect(throws: ArchiveError.self) {
                _ = try await engine.build(request(platform: "amd64", layer: directory.path + "/missing")) { _ in }
            }
            #expect(missingLayer?.code == .notFound, "\(name)")
            #expect(try await engine.image(named: imageName) == nil, "\(name)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "\(name) left an archive")
        }
    }

    /// dockerd gets one layer with the emulator and one per Lambda layer, and a layer that two images on one
    /// base share (the emulator, a common first Lambda layer) is sent once, even when both build at once.
    /// When such a layer is gone from the engine meanwhile (its image removed), the load is made again with
    /// every layer.
    @Test func sharedLayersAreSentToDockerdOnce() async throws {
        guard let host = Self.engines.first(where: { $0.0 == "dockerd" })?.1 else { return }
        let engine = try await DockerEngine(endpoint: DockerEngine.Endpoint(host: host))
        let directory = try TemporaryDirectory("engine-build-shared")
        defer { directory.remove() }
        let unique = UUID().uuidString.lowercased()
        let emulator = try directory.write("rie/aws-lambda-rie", "#!/bin/sh\necho emulator \(unique)\n")
        try directory.write("common/python/common.py", "value = '\(unique)'\n")
        try directory.write("extra/python/extra.py", "value = 2\n")
        let work = directory.path + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        func request(_ name: String, _ layers: [String]) -> ImageBuildRequest {
            ImageBuildRequest(
                name: "prewarm-engine-test/shared:\(unique)-\(name)", baseImage: Self.base,
                platform: OCIPlatform(architecture: "amd64"), emulator: ImageBuildRequest.Source(path: emulator),
                layers: layers.map { ImageBuildRequest.Source(path: directory.path + "/" + $0) }, workDirectory: work)
        }
        let lines = Locked<[String: [String]]>([:])
        func build(_ request: ImageBuildRequest) async throws -> EngineImage {
            try await engine.build(request) { line in lines.withLock { $0[request.name, default: []].append(line) } }
        }
        let common = request("common", ["common"])
        let both = request("both", ["common", "extra"])
        async let builtCommon = build(common)
        async let builtBoth = build(both)
        let (first, second) = try await (builtCommon, builtBoth)
        func layers(_ image: String) async throws -> [String]? {
            try await ImageFiles.inspect(image, host: host, configurationOnly: true)?.layers
        }
        let baseLayers = try #require(try await layers(Self.base))
        let commonLayers = try #require(try await layers(common.name))
        let bothLayers = try #require(try await layers(both.name))
        #expect(commonLayers.count == baseLayers.count + 2, "base + emulator + common: \(commonLayers)")
        #expect(Array(bothLayers.prefix(commonLayers.count)) == commonLayers, "the same layers below extra")
        #expect(bothLayers.count == commonLayers.count + 1)
        #expect(first.id != second.id)

        // Of the three layers the two images add (emulator, common, extra), one load sent the shared ones.
        let said = lines.withLock { $0 }
        let sent = [common.name, both.name].map { name in
            (said[name] ?? []).compactMap { line -> Int? in
                guard let range = line.range(of: #"; (\d+) sent"#, options: .regularExpression) else { return nil }
                return Int(line[range].dropFirst(2).prefix { $0.isNumber })
            }.first
        }
        #expect(sent.compactMap { $0 }.reduce(0, +) == 3, "sent once in all: \(said)")

        // The layers go with the images that hold them; the engine still thinks it has them, and loads again.
        try await engine.remove(common.name)
        try await engine.remove(both.name)
        let again = request("again", ["common"])
        let rebuilt = try await build(again)
        #expect(rebuilt.names.contains(again.name))
        let retried = lines.withLock { $0[again.name] ?? [] }
        #expect(retried.contains { $0.hasPrefix("loading again with every layer") }, "\(retried)")
        #expect(try await layers(again.name) == commonLayers)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "archives removed")
        try await engine.remove(again.name)
    }
}
