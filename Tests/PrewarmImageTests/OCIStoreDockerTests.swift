import Foundation
import PrewarmImage
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

    /// Reads a `docker save` tar and prints its merged filesystem as JSON: path → kind, mode,
    /// size, SHA-256 of the content, link target; layers applied in order with whiteouts, a
    /// later entry replacing an earlier one (and a directory's contents with it).
    static let mergeScript = """
        import hashlib, json, sys, tarfile
        fs = {}
        def drop(prefix):
            for key in [k for k in fs if k == prefix or k.startswith(prefix + "/")]:
                del fs[key]
        with tarfile.open(sys.argv[1]) as outer:
            manifest = json.load(outer.extractfile("manifest.json"))[0]
            for layer in manifest["Layers"]:
                with tarfile.open(fileobj=outer.extractfile(layer)) as t:
                    for m in t.getmembers():
                        name = m.name[2:] if m.name.startswith("./") else m.name
                        name = name.rstrip("/")
                        parent, _, base = name.rpartition("/")
                        if base == ".wh..wh..opq":
                            for key in [k for k in fs if k.startswith(parent + "/")]:
                                del fs[key]
                            continue
                        if base.startswith(".wh."):
                            drop((parent + "/" if parent else "") + base[4:])
                            continue
                        old = fs.get(name)
                        if old is not None and not (old[0] == "dir" and m.isdir()):
                            drop(name)
                        if m.isdir():
                            fs[name] = ["dir", m.mode, 0, "", ""]
                        elif m.issym():
                            fs[name] = ["link", 0, 0, "", m.linkname]
                        elif m.isfile():
                            digest = hashlib.sha256(t.extractfile(m).read()).hexdigest()
                            fs[name] = ["file", m.mode, m.size, digest, ""]
                        else:
                            fs[name] = ["other", m.mode, 0, "", m.linkname]
        print(json.dumps(fs, sort_keys=True))
        """

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
        #expect(try store.importArchive(path: together) == bases.sorted())

        let single = try OCIStore(path: directory.path + "/single")
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

    /// Path → "kind mode size sha256 link".
    static func mergedFilesystem(_ archive: String) async throws -> [String: String] {
        let python = try #require(CommandRunner.which("python3"))
        let result = try await CommandRunner.run(python, ["-c", mergeScript, archive])
        try #require(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [Any]] ?? [:]
        return object.mapValues { $0.map { "\($0)" }.joined(separator: " ") }
    }

    @Test(arguments: ["x86_64", "arm64"])
    func anOCIBuiltImageLoadedIntoDockerIsFileForFileTheDockerPathsImage(_ arch: String) async throws {
        guard let host = Self.dockerHost() else { return }
        let engine = try await DockerEngine(endpoint: DockerEngine.Endpoint(host: host))
        try #require(engine.buildForm == .layer, "dockerd takes the bare layer")
        let directory = try TemporaryDirectory("oci-docker")
        defer { directory.remove() }
        let base = "public.ecr.aws/lambda/python:3.12-\(arch)"
        let platform = arch == "arm64" ? "linux/arm64" : "linux/amd64"

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

        // The Docker engine path.
        let dockerName = "prewarm-oci-test/docker:\(unique)-\(arch)"
        let context = directory.path + "/layer.tar"
        try BuildContext(baseImage: base, emulator: emulator, layers: layers).write(to: context, as: engine.buildForm)
        let viaDocker = try await engine.build(
            ImageBuildRequest(
                name: dockerName, baseImage: base, contextPath: context, platform: platform, labels: labels, pull: false
            )
        ) { _ in }

        // The OCI engine: base imported from dockerd, built, exported, loaded.
        let store = try OCIStore(path: directory.path + "/store")
        let baseArchive = directory.path + "/base.tar"
        try await Self.save(base, host: host, to: baseArchive)
        #expect(try store.importArchive(path: baseArchive) == [base])
        let ociName = "prewarm-oci-test/oci:\(unique)-\(arch)"
        let viaOCI = try await store.build(
            ImageBuildRequest(
                name: ociName, baseImage: base, contextPath: "", platform: platform, labels: labels, pull: false,
                emulator: ImageBuildRequest.Source(path: emulator),
                layers: layers.map { ImageBuildRequest.Source(path: $0) })
        ) { _ in }
        let exported = directory.path + "/oci-export.tar"
        try store.export(names: [ociName], format: .docker, to: exported)
        try await engine.load(archivePath: exported)
        let loaded = try #require(try await engine.image(named: ociName))
        #expect(loaded.id == viaOCI.id, "dockerd keeps the OCI store's configuration as it is")
        #expect(loaded.architecture == viaDocker.architecture)
        #expect(loaded.labels == viaDocker.labels)

        // File for file.
        let fromDocker = directory.path + "/docker-image.tar"
        let fromOCI = directory.path + "/oci-image.tar"
        try await Self.save(dockerName, host: host, to: fromDocker)
        try await Self.save(ociName, host: host, to: fromOCI)
        let expected = try await Self.mergedFilesystem(fromDocker)
        let actual = try await Self.mergedFilesystem(fromOCI)
        #expect(expected["var/rapid/aws-lambda-rie"]?.hasPrefix("file 493 ") == true, "0755")
        #expect(expected["opt/replaced"]?.hasPrefix("file ") == true)
        #expect(expected.count > 20)
        for path in Set(expected.keys).union(actual.keys).sorted() where expected[path] != actual[path] {
            Issue.record("\(path): Docker path \(expected[path] ?? "absent"), OCI \(actual[path] ?? "absent")")
        }

        // The settings sam local relies on.
        for name in [dockerName, ociName] {
            let socket = String(host.dropFirst("unix://".count))
            let inspect = try await CommandRunner.run(
                "/usr/bin/curl", ["-sSf", "--unix-socket", socket, "http://localhost/images/\(name)/json"])
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
            let config = try #require(object["Config"] as? [String: Any])
            #expect(config["Entrypoint"] as? [String] == ["/lambda-entrypoint.sh"], "\(name)")
            #expect(config["WorkingDir"] as? String == "/var/task", "\(name)")
            #expect((config["Env"] as? [String])?.contains("LAMBDA_TASK_ROOT=/var/task") == true, "\(name)")
        }
        try await engine.remove(dockerName)
        try await engine.remove(ociName)
    }
}
