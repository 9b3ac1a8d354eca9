import Foundation
import PrewarmImage
import PrewarmOCI
import PrewarmTestKit
import Testing

/// The OCI engine against the Docker engine path on a real dockerd (`PREWARM_TEST_DOCKER_HOST`,
/// with ci/services/base-images loaded): an image the OCI store builds, exported and loaded
/// into dockerd, is file for file the image the Docker path builds from the same sources.
@Suite struct OCIStoreDockerTests {
    /// dockerd's address, or `nil` to skip; with `PREWARM_REQUIRE_ENGINES=1` a missing one fails.
    static func dockerHost(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let host = environment["PREWARM_TEST_DOCKER_HOST"], !host.isEmpty { return host }
        if environment["PREWARM_REQUIRE_ENGINES"] == "1" {
            Issue.record(
                "PREWARM_TEST_DOCKER_HOST is not set, but PREWARM_REQUIRE_ENGINES=1 requires dockerd",
                sourceLocation: sourceLocation)
        }
        return nil
    }

    /// `GET /images/get?names=NAME` from dockerd into `path`.
    static func save(_ name: String, host: String, to path: String) async throws {
        let socket = String(host.dropFirst("unix://".count))
        let query = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        let curl = try #require(CommandRunner.which("curl"))
        let result = try await CommandRunner.run(
            curl, ["-sSf", "--unix-socket", socket, "-o", path, "http://localhost/images/get?names=\(query)"])
        try #require(result.status == 0, "saving \(name): \(result.stderr)")
    }

    /// `GET /images/get?names=A&names=B…`: one `docker save` tar of several images.
    static func save(_ names: [String], host: String, to path: String) async throws {
        let socket = String(host.dropFirst("unix://".count))
        let query = names.map { "names=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) }
        let curl = try #require(CommandRunner.which("curl"))
        let result = try await CommandRunner.run(
            curl,
            [
                "-sSf", "--unix-socket", socket, "-o", path,
                "http://localhost/images/get?" + query.joined(separator: "&"),
            ])
        try #require(result.status == 0, "saving \(names): \(result.stderr)")
    }

    /// A `docker save` of several test bases (whose one layer is the same, so Docker writes it
    /// once and links it from the others) imports, with the same manifest digests as each base
    /// imported from a save of its own; so do the archives skopeo writes of them.
    @Test func aMultiImageDockerSaveImportsAsTheImagesOneByOne() async throws {
        guard let host = Self.dockerHost() else { return }
        let directory = try TemporaryDirectory("oci-docker-multi")
        defer { directory.remove() }
        let bases = [
            "public.ecr.aws/lambda/python:3.12-x86_64", "public.ecr.aws/lambda/nodejs:20-x86_64",
            "public.ecr.aws/lambda/python:3.12-arm64",
        ]
        let together = directory.path + "/together.tar"
        try await Self.save(bases, host: host, to: together)
        let store = try OCIStore(path: directory.path + "/together")
        defer { store.close() }
        #expect(try store.importArchive(path: together) == bases.sorted())

        let single = try OCIStore(path: directory.path + "/single")
        defer { single.close() }
        for (index, base) in bases.enumerated() {
            let archive = directory.path + "/single-\(index).tar"
            try await Self.save(base, host: host, to: archive)
            #expect(try single.importArchive(path: archive) == [base])
            #expect(try store.descriptor(named: base)?.digest == single.descriptor(named: base)?.digest, "\(base)")
        }
        #expect(try store.verify().isEmpty)

        // skopeo's docker-archive: and oci-archive: of one of them import too, with the same layers.
        guard let skopeo = CommandRunner.which("skopeo") else { return }
        let base = bases[0]
        let layers = try #require(try single.storedImage(named: base)).manifest.layers.map(\.digest)
        for transport in ["docker-archive", "oci-archive"] {
            let archive = directory.path + "/skopeo-\(transport).tar"
            let copy = try await CommandRunner.run(
                skopeo, ["copy", "docker-archive:\(directory.path)/single-0.tar", "\(transport):\(archive):\(base)"])
            try #require(copy.status == 0, "\(copy.stderr)")
            let other = try OCIStore(path: directory.path + "/skopeo-\(transport)")
            defer { other.close() }
            #expect(try other.importArchive(path: archive) == [base], "\(transport)")
            let image = try #require(try other.storedImage(named: base))
            if transport == "docker-archive" {
                #expect(image.manifest.layers.map(\.digest) == layers)
            } else {
                #expect(image.manifest.layers.count == layers.count, "gzip layers, checked against their diff IDs")
            }
            #expect(try other.verify().isEmpty)
        }
    }

    @Test(arguments: ["x86_64", "arm64"])
    func anOCIBuiltImageLoadedIntoDockerIsFileForFileTheDockerPathsImage(_ arch: String) async throws {
        guard let host = Self.dockerHost() else { return }
        let engine = try await DockerEngine(endpoint: DockerEngine.Endpoint(host: host))
        try #require(engine.buildForm == .layer, "dockerd takes the bare layer")
        let directory = try TemporaryDirectory("oci-docker")
        defer { directory.remove() }
        let base = "public.ecr.aws/lambda/python:3.12-\(arch)"
        let platform = OCIPlatform(architecture: arch == "arm64" ? "arm64" : "amd64")

        // Sources with overlaps: a later layer's file wins, a file replaces a directory, a
        // symlink, modes, a long path; an emulator unique to this test.
        let unique = UUID().uuidString.lowercased()
        let emulator = try directory.write("rie/aws-lambda-rie", "#!/bin/sh\necho emulator \(unique)\n")
        try directory.write("one/python/lib/common.py", "one\n")
        try directory.write("one/python/only-one.py", "only one\n")
        try directory.write("one/bin/tool", "tool v1\n")
        try directory.write("one/replaced/inside.txt", "goes away\n")
        try directory.write("two/python/lib/common.py", "two wins\n")
        try directory.write("two/bin/tool", "tool v2\n")
        try directory.write("two/replaced", "now a file\n")
        try directory.write(
            "two/" + String(repeating: "deep/", count: 25) + "long-" + String(repeating: "x", count: 90), "long\n")
        chmod(directory.path + "/two/bin/tool", 0o750)
        chmod(directory.path + "/one/python", 0o700)
        try FileManager.default.createSymbolicLink(
            atPath: directory.path + "/two/python/link.py", withDestinationPath: "lib/common.py")
        let layers = [directory.path + "/one", directory.path + "/two"]
        let labels = ["dev.prewarm.content-key": "equality-\(unique)"]

        // The Docker engine path: the engine writes its layer under the work directory.
        let dockerName = "prewarm-oci-test/docker:\(unique)-\(arch)"
        let work = directory.path + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let viaDocker = try await engine.build(
            ImageBuildRequest(
                name: dockerName, baseImage: base, platform: platform,
                emulator: ImageBuildRequest.Source(path: emulator),
                layers: layers.map { ImageBuildRequest.Source(path: $0) }, labels: labels, workDirectory: work)
        ) { _ in }
        #expect(try FileManager.default.contentsOfDirectory(atPath: work).isEmpty, "the engine removes its archive")

        // The OCI engine: base imported from dockerd, built, exported, loaded.
        let store = try OCIStore(path: directory.path + "/store")
        defer { store.close() }
        let baseArchive = directory.path + "/base.tar"
        try await Self.save(base, host: host, to: baseArchive)
        #expect(try store.importArchive(path: baseArchive) == [base])
        let ociName = "prewarm-oci-test/oci:\(unique)-\(arch)"
        let viaOCI = try await store.build(
            ImageBuildRequest(
                name: ociName, baseImage: base, platform: platform, emulator: ImageBuildRequest.Source(path: emulator),
                layers: layers.map { ImageBuildRequest.Source(path: $0) }, labels: labels)
        ) { _ in }
        let exported = directory.path + "/oci-export.tar"
        try store.export(names: [ociName], format: .docker, to: exported)
        try await engine.load(archivePath: exported)
        let loaded = try #require(try await engine.image(named: ociName))
        #expect(loaded.id == viaOCI.id, "dockerd keeps the OCI store's configuration as it is")
        #expect(loaded.architecture == viaDocker.architecture)
        #expect(loaded.labels == viaDocker.labels)

        // File for file: each image's merged filesystem, as dockerd exports a container of it.
        let expected = try await ImageFiles.read(dockerName, host: host)
        let actual = try await ImageFiles.read(ociName, host: host)
        let rie = expected.files["var/rapid/aws-lambda-rie"]
        #expect(rie?.type == .file && rie?.mode == 0o755, "0755: \(String(describing: rie))")
        #expect(expected.files["opt/replaced"]?.type == .file)
        #expect(expected.files.count > 20)
        for difference in expected.differences(from: actual) {
            Issue.record("Docker path vs OCI: \(difference)")
        }

        // The settings sam local relies on.
        for (name, image) in [(dockerName, expected), (ociName, actual)] {
            #expect(image.config.entrypoint == ["/lambda-entrypoint.sh"], "\(name)")
            #expect(image.config.workingDir == "/var/task", "\(name)")
            #expect(image.config.env?.contains("LAMBDA_TASK_ROOT=/var/task") == true, "\(name)")
        }
        try await engine.remove(dockerName)
        try await engine.remove(ociName)
    }
}
