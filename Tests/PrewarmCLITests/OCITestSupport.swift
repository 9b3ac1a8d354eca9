import Foundation
import PrewarmTestKit
import Testing

/// What the OCI engine's CLI tests share: the services ci/test starts, `prewarm` run with an
/// environment of the test's own, and looks at an OCI store from outside (its files on disk).
enum OCITest {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The repository's root (the directory holding `Package.swift`).
    static let repository: String = {
        URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent().deletingLastPathComponent().path
    }()

    /// `$name`, or `nil` when it is unset; with `PREWARM_REQUIRE_ENGINES=1` a missing one fails the
    /// test instead of letting it pass without checking anything.
    static func required(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let value = environment[name], !value.isEmpty { return value }
        if environment["PREWARM_REQUIRE_ENGINES"] == "1" {
            Issue.record(
                "\(name) is not set, but PREWARM_REQUIRE_ENGINES=1 requires it", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// The path of `program`, or `nil`; with `PREWARM_REQUIRE_ENGINES=1` a missing one fails the test.
    static func tool(_ program: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let path = CommandRunner.which(program) { return path }
        if environment["PREWARM_REQUIRE_ENGINES"] == "1" {
            Issue.record("\(program) is not on PATH; ci/install installs it", sourceLocation: sourceLocation)
        }
        return nil
    }

    /// Runs `prewarm arguments…` with `HOME` in `directory` (so no `~/.cache`, `~/.docker` or SAM CLI
    /// of the machine is used) and `environment` added.
    static func prewarm(
        _ arguments: [String], home directory: TemporaryDirectory, environment: [String: String] = [:]
    ) async throws -> CommandResult {
        var settings = ["HOME": directory.path + "/home", "DOCKER_CONFIG": directory.path + "/home/.docker"]
        settings.merge(environment) { _, new in new }
        let assignments = settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return try await CommandRunner.run("/usr/bin/env", assignments + [PrewarmExecutable.path] + arguments)
    }

    /// Runs `program arguments…` and expects it to succeed; returns its standard output.
    @discardableResult
    static func run(
        _ program: String, _ arguments: [String], environment: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let result = try await CommandRunner.run("/usr/bin/env", assignments + [program] + arguments)
        #expect(
            result.status == 0, "\(program) \(arguments.joined(separator: " ")): \(result.stderr)",
            sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Writes stand-in emulators (`aws-lambda-rie-x86_64`, `…-arm64`) to `directory/rie` and returns it.
    static func standInEmulators(in directory: TemporaryDirectory) throws -> String {
        for architecture in ["x86_64", "arm64"] {
            let path = try directory.write(
                "rie/aws-lambda-rie-\(architecture)", "#!/bin/sh\n# stand-in emulator, \(architecture)\n")
            chmod(path, 0o755)
        }
        return directory.path + "/rie"
    }

    /// Copies `examples/quickstart` to `directory/name` and returns the template's path.
    static func quickstart(in directory: TemporaryDirectory, as name: String = "quickstart") throws -> String {
        let target = directory.path + "/" + name
        try FileManager.default.copyItem(atPath: repository + "/examples/quickstart", toPath: target)
        return target + "/template.yaml"
    }

    /// Copies `examples/quickstart` to `directory/name` without its `Metadata.Prewarm` (its stand-in bases
    /// and emulator), as its README says for the real thing, and writes stand-in emulators for `--rie-dir`
    /// (`standInEmulators`). Its bases come from the engine or a registry, and `--engine auto` looks for a
    /// Docker engine. Returns the template's path and the emulators' directory.
    static func quickstartWithoutMetadata(
        in directory: TemporaryDirectory, as name: String = "quickstart"
    ) throws -> (template: String, emulators: String) {
        let template = try quickstart(in: directory, as: name)
        try removeMetadata(from: template)
        return (template, try standInEmulators(in: directory))
    }

    /// Removes the `Metadata` section (with its `Prewarm` settings) from a copy of the quickstart's template.
    static func removeMetadata(from template: String) throws {
        let text = try String(contentsOfFile: template, encoding: .utf8)
        let start = try #require(text.range(of: "Metadata:\n"))
        let end = try #require(text.range(of: "Globals:\n"))
        try (String(text[..<start.lowerBound]) + String(text[end.lowerBound...]))
            .write(toFile: template, atomically: true, encoding: .utf8)
    }

    /// The `"built"` count of the summary line of a `--progress json` run, or `nil` without one.
    static func built(_ output: String) -> Int? {
        for line in output.split(separator: "\n").reversed() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["event"] as? String == "summary"
            else { continue }
            return object["built"] as? Int
        }
        return nil
    }

    /// A file under the store's `blobs/`: its size and modification time.
    struct BlobFile: Equatable {
        var size: Int
        var modified: Date
    }

    /// Every file under `store/blobs`, by path relative to the store.
    static func blobFiles(of store: String) throws -> [String: BlobFile] {
        var files: [String: BlobFile] = [:]
        let root = store + "/blobs"
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [:] }
        while let relative = enumerator.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + relative)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            files["blobs/" + relative] = BlobFile(
                size: (attributes[.size] as? Int) ?? -1,
                modified: (attributes[.modificationDate] as? Date) ?? .distantPast)
        }
        return files
    }

    /// Hashes every file under `store/blobs/sha256` and returns those whose SHA-256 is not their name,
    /// and any other file under `blobs/` (a temporary file left behind).
    static func unverifiedBlobs(in store: String) async throws -> [String] {
        let output = try await run(
            try #require(CommandRunner.which("python3")),
            [
                "-c",
                """
                import hashlib, os, sys
                root = os.path.join(sys.argv[1], "blobs")
                for directory, _, names in os.walk(root):
                    for name in names:
                        path = os.path.join(directory, name)
                        if directory != os.path.join(root, "sha256"):
                            print("stray", path); continue
                        with open(path, "rb") as f:
                            if hashlib.sha256(f.read()).hexdigest() != name: print("mismatch", path)
                """,
                store,
            ])
        return output.split(separator: "\n").map(String.init)
    }

    /// The manifest digest of each image that `store/index.json` names, by name.
    static func namedDigests(in store: String) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: store + "/index.json"))
        let index = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var digests: [String: String] = [:]
        for manifest in index["manifests"] as? [[String: Any]] ?? [] {
            guard let name = (manifest["annotations"] as? [String: String])?["io.containerd.image.name"],
                let digest = manifest["digest"] as? String
            else { continue }
            digests[name] = digest
        }
        return digests
    }

    /// A repository path no other test uses.
    static func uniqueRepository(_ label: String) -> String {
        "prewarm-cli/\(label)-\(UUID().uuidString.lowercased().prefix(8))"
    }

    /// Pushes the test engine's python bases (`public.ecr.aws/lambda/python:3.12-{x86_64,arm64}`, which
    /// `ci/services/base-images` put into the dockerd of `PREWARM_TEST_DOCKER_HOST`) with skopeo to
    /// `registry/prefix/lambda/python:3.12-…`, so that `--registry-mirror public.ecr.aws=registry/prefix`
    /// pulls them from there. Not the quickstart's bases: those are stand-ins, which a template that does
    /// not bring them refuses.
    static func pushBases(
        to registry: String, prefix: String, credentials: String? = nil, architectures: [String] = ["x86_64", "arm64"]
    ) async throws {
        let skopeo = try #require(tool("skopeo"))
        let docker = try #require(required("PREWARM_TEST_DOCKER_HOST"), "the bases come from the test dockerd")
        for architecture in architectures {
            try await run(
                skopeo,
                ["copy", "-q", "--format", "oci", "--src-daemon-host", docker, "--dest-tls-verify=false"]
                    + (credentials.map { ["--dest-creds", $0] } ?? []) + [
                        "docker-daemon:public.ecr.aws/lambda/python:3.12-\(architecture)",
                        "docker://\(registry)/\(prefix)/lambda/python:3.12-\(architecture)",
                    ])
        }
    }

    /// The fault proxy (`Tests/Fixtures/registry/proxy.py`) in front of `upstream`.
    static func proxy(_ upstream: String, _ options: [String], in directory: TemporaryDirectory) async throws
        -> FixtureServer
    {
        try await FixtureServer.startPython(
            Fixtures.path("registry/proxy.py"), ["--upstream", upstream, "--lifetime", "600"] + options,
            in: directory)
    }

    /// The proxy's request counts (`"PUT upload"`, `"GET blob"`, …).
    static func stats(of proxy: FixtureServer) async throws -> [String: Int] {
        let output = try await run(try #require(CommandRunner.which("curl")), ["-sf", proxy.baseURL() + "/_stats"])
        return try JSONDecoder().decode([String: Int].self, from: Data(output.utf8))
    }
}
