import Foundation
import PrewarmTestKit
import Testing

/// `prewarm build --engine oci` with the registries ci/test starts (`ci/services/registry`):
/// a shared build cache between two stores, `--push` checked with skopeo, and base image pulls
/// through `--registry-mirror` with faults (`Tests/Fixtures/registry/proxy.py`). Each test has
/// repositories, stores and a `HOME` of its own.
@Suite(.serialized) struct OCIRegistryTests {
    /// The quickstart without its bases layout (so that bases are pulled), in `directory`.
    static func pullingTemplate(in directory: TemporaryDirectory) throws -> String {
        let template = try OCITest.quickstart(in: directory, as: "app")
        let text = try String(contentsOfFile: template, encoding: .utf8)
            .replacingOccurrences(of: "    BaseImages: bases/\n", with: "")
        try text.write(toFile: template, atomically: true, encoding: .utf8)
        return template
    }

    @Test func aSecondStoreFetchesFromTheCacheWhatTheFirstBuiltAndEndsWithTheSameDigests() async throws {
        guard let registry = OCITest.required("PREWARM_TEST_REGISTRY") else { return }
        let directory = try TemporaryDirectory("prewarm-oci-cache")
        defer { directory.remove() }
        let template = try OCITest.quickstart(in: directory)
        let rie = try OCITest.standInEmulators(in: directory)
        let cache = "\(registry)/\(OCITest.uniqueRepository("cache"))"
        func build(_ machine: String, _ flags: [String]) async throws -> CommandResult {
            try await OCITest.prewarm(
                [
                    "build", template, "--oci-store", directory.path + "/\(machine)/store", "--journal",
                    directory.path + "/\(machine)/journal.sqlite", "--arch", "x86_64,arm64", "--rie-dir", rie,
                    "--progress", "json",
                ] + flags, home: directory, environment: ["HOME": directory.path + "/\(machine)/home"])
        }

        let first = try await build("a", ["--cache-to", cache])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(OCITest.built(first.stdout) == 4, "\(first.stdout.suffix(300))")
        let second = try await build("b", ["--cache-from", cache])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(OCITest.built(second.stdout) == 0, "\(second.stdout.suffix(300))")

        let a = try OCITest.namedDigests(in: directory.path + "/a/store")
        let b = try OCITest.namedDigests(in: directory.path + "/b/store")
        #expect(a.count == 6, "4 images and 2 bases: \(a)")
        #expect(a == b)
        #expect(try await OCITest.unverifiedBlobs(in: directory.path + "/b/store").isEmpty)
    }

    @Test func pushedIndexesAndImagesAreAcceptedBySkopeoAndASecondPushUploadsNothing() async throws {
        guard let registry = OCITest.required("PREWARM_TEST_REGISTRY") else { return }
        let skopeo = try #require(OCITest.tool("skopeo"))
        let directory = try TemporaryDirectory("prewarm-oci-push")
        defer { directory.remove() }
        let template = try OCITest.quickstart(in: directory)
        let proxy = try await OCITest.proxy(registry, [], in: directory)
        defer { proxy.stop() }
        let repository = OCITest.uniqueRepository("app")
        let build = [
            "build", template, "--oci-store", directory.path + "/store", "--arch", "x86_64,arm64", "--rie-dir",
            try OCITest.standInEmulators(in: directory), "--push", "127.0.0.1:\(proxy.listening)/\(repository)",
        ]

        let first = try await OCITest.prewarm(build, home: directory)
        #expect(first.status == 0, "\(first.stderr)")
        for function in ["Hello", "HelloArm", "Report"] {
            #expect(first.stderr.contains("pushed 127.0.0.1:\(proxy.listening)/\(repository):\(function)@sha256:"))
            let raw = try await OCITest.run(
                skopeo, ["inspect", "--tls-verify=false", "--raw", "docker://\(registry)/\(repository):\(function)"])
            let index = try #require(try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any])
            #expect(index["mediaType"] as? String == "application/vnd.oci.image.index.v1+json", "\(raw)")
            let platforms = (index["manifests"] as? [[String: Any]] ?? []).compactMap {
                ($0["platform"] as? [String: Any])?["architecture"] as? String
            }
            #expect(platforms.sorted() == ["amd64", "arm64"], "\(function): \(raw)")
            for (architecture, expected) in [("x86_64", "amd64"), ("arm64", "arm64")] {
                let inspect = try await OCITest.run(
                    skopeo,
                    ["inspect", "--tls-verify=false", "docker://\(registry)/\(repository):\(function)-\(architecture)"])
                let image = try JSONSerialization.jsonObject(with: Data(inspect.utf8)) as? [String: Any]
                #expect(image?["Architecture"] as? String == expected, "\(function)-\(architecture)")
            }
        }

        let before = try await OCITest.stats(of: proxy)
        #expect((before["PUT upload"] ?? 0) > 0, "\(before)")
        let second = try await OCITest.prewarm(build, home: directory)
        #expect(second.status == 0, "\(second.stderr)")
        let after = try await OCITest.stats(of: proxy)
        for key in ["POST upload", "PATCH upload", "PUT upload"] {
            #expect(after[key, default: 0] == before[key, default: 0], "\(key): \(before) → \(after)")
        }
        #expect(after["HEAD blob", default: 0] > before["HEAD blob", default: 0], "it asked, and found every blob")
    }

    /// Pulls the quickstart's `Report` (x86_64) base through `mirror` and returns the result.
    static func pullReport(
        _ template: String, through mirror: String, store: String, in directory: TemporaryDirectory,
        environment: [String: String] = [:]
    ) async throws -> CommandResult {
        try await OCITest.prewarm(
            [
                "build", template, "--engine", "oci", "--oci-store", store, "--function", "Report", "--rie-dir",
                try OCITest.standInEmulators(in: directory), "--registry-mirror", "public.ecr.aws=\(mirror)",
            ], home: directory, environment: environment)
    }

    /// The error lines of a failed run: those of standard error after the engine's line.
    static func errors(_ result: CommandResult) -> [String] {
        result.stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("prewarm: error:") }
    }

    @Test func faultsOfTheRegistryAreOneClearErrorOrARetryAndNothingUnverifiedIsStored() async throws {
        guard let registry = OCITest.required("PREWARM_TEST_REGISTRY") else { return }
        let directory = try TemporaryDirectory("prewarm-oci-faults")
        defer { directory.remove() }
        let prefix = OCITest.uniqueRepository("bases")
        try await OCITest.pushBases(to: registry, prefix: prefix)
        let template = try Self.pullingTemplate(in: directory)
        var stores = 0
        func freshStore() -> String {
            stores += 1
            return directory.path + "/store\(stores)"
        }

        // Without faults the pull works (so what fails below fails for its fault).
        let clean = freshStore()
        let plain = try await Self.pullReport(template, through: "\(registry)/\(prefix)", store: clean, in: directory)
        #expect(plain.status == 0, "\(plain.stderr)")

        // A blob whose content is not its digest: one error line naming the blob, exit 1, nothing stored.
        let corrupt = try await OCITest.proxy(registry, ["--corrupt-blob"], in: directory)
        let corruptStore = freshStore()
        let wrong = try await Self.pullReport(
            template, through: "127.0.0.1:\(corrupt.listening)/\(prefix)", store: corruptStore, in: directory)
        corrupt.stop()
        #expect(wrong.status == 1, "\(wrong.stderr)")
        let wrongErrors = Self.errors(wrong)
        #expect(wrongErrors.count == 1, "\(wrong.stderr)")
        #expect(wrongErrors.first?.contains("serves wrong content") == true, "\(wrongErrors)")
        #expect(try await OCITest.unverifiedBlobs(in: corruptStore).isEmpty)

        // A manifest announced under another digest: the same.
        let lying = try await OCITest.proxy(registry, ["--manifest-digest-lie"], in: directory)
        let lyingStore = freshStore()
        let lie = try await Self.pullReport(
            template, through: "127.0.0.1:\(lying.listening)/\(prefix)", store: lyingStore, in: directory)
        lying.stop()
        #expect(lie.status == 1, "\(lie.stderr)")
        #expect(Self.errors(lie).count == 1 && lie.stderr.contains("serves wrong content"), "\(lie.stderr)")
        #expect(try await OCITest.unverifiedBlobs(in: lyingStore).isEmpty)

        // 500 once, then success; a blob cut off half way, then success: both retried.
        for fault in [["--blob-500", "1"], ["--truncate-blob", "1"]] {
            let proxy = try await OCITest.proxy(registry, fault, in: directory)
            let store = freshStore()
            let result = try await Self.pullReport(
                template, through: "127.0.0.1:\(proxy.listening)/\(prefix)", store: store, in: directory)
            let stats = try await OCITest.stats(of: proxy)
            proxy.stop()
            #expect(result.status == 0, "\(fault): \(result.stderr)")
            #expect(stats["GET blob", default: 0] >= 3, "\(fault): the faulted GET and its retry: \(stats)")
            #expect(try OCITest.namedDigests(in: store) == OCITest.namedDigests(in: clean), "\(fault)")
            #expect(try await OCITest.unverifiedBlobs(in: store).isEmpty, "\(fault)")
        }
        #expect(try await OCITest.unverifiedBlobs(in: clean).isEmpty)
    }

    @Test func aManifestListWithoutTheRequestedPlatformIsAClearError() async throws {
        guard let registry = OCITest.required("PREWARM_TEST_REGISTRY") else { return }
        let directory = try TemporaryDirectory("prewarm-oci-platform")
        defer { directory.remove() }
        let prefix = OCITest.uniqueRepository("bases")
        try await OCITest.pushBases(to: registry, prefix: prefix, architectures: ["x86_64"])
        // An index under the arm64 tag that holds only the amd64 image.
        let python = try #require(CommandRunner.which("python3"))
        try await OCITest.run(
            python,
            [
                "-c",
                """
                import json, sys, urllib.request
                base = "http://" + sys.argv[1] + "/v2/" + sys.argv[2] + "/lambda/python/manifests/"
                accept = "application/vnd.oci.image.manifest.v1+json"
                r = urllib.request.urlopen(urllib.request.Request(base + "3.12-x86_64", headers={"Accept": accept}))
                body = r.read()
                index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
                    {"mediaType": r.headers["Content-Type"], "digest": r.headers["Docker-Content-Digest"],
                     "size": len(body), "platform": {"architecture": "amd64", "os": "linux"}}]}
                put = urllib.request.Request(base + "3.12-arm64", data=json.dumps(index).encode(), method="PUT",
                    headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
                assert urllib.request.urlopen(put).status == 201
                """,
                registry, prefix,
            ])
        let template = try Self.pullingTemplate(in: directory)
        let store = directory.path + "/store"
        let result = try await OCITest.prewarm(
            [
                "build", template, "--engine", "oci", "--oci-store", store, "--function", "HelloArm", "--rie-dir",
                try OCITest.standInEmulators(in: directory), "--registry-mirror",
                "public.ecr.aws=\(registry)/\(prefix)",
            ], home: directory)
        #expect(result.status == 1, "\(result.stderr)")
        let errors = Self.errors(result)
        #expect(errors.count == 1, "\(result.stderr)")
        #expect(errors.first?.contains("arm64") == true && errors.first?.contains("amd64") == true, "\(errors)")
        #expect(try await OCITest.unverifiedBlobs(in: store).isEmpty)
    }

    @Test func basicAuthNeedsDockerLoginAndWorksWithConfigJSON() async throws {
        guard let registry = OCITest.required("PREWARM_TEST_REGISTRY_AUTH"),
            let user = OCITest.required("PREWARM_TEST_REGISTRY_USER"),
            let password = OCITest.required("PREWARM_TEST_REGISTRY_PASSWORD")
        else { return }
        let directory = try TemporaryDirectory("prewarm-oci-auth")
        defer { directory.remove() }
        let prefix = OCITest.uniqueRepository("bases")
        try await OCITest.pushBases(
            to: registry, prefix: prefix, credentials: "\(user):\(password)", architectures: ["x86_64"])
        let template = try Self.pullingTemplate(in: directory)

        let denied = try await Self.pullReport(
            template, through: "\(registry)/\(prefix)", store: directory.path + "/denied", in: directory)
        #expect(denied.status == 1, "\(denied.stderr)")
        let errors = Self.errors(denied)
        #expect(errors.count == 1, "\(denied.stderr)")
        #expect(errors.first?.contains("docker login \(registry)") == true, "\(errors)")
        #expect(errors.first?.contains(password) == false)

        let auth = Data("\(user):\(password)".utf8).base64EncodedString()
        try directory.write("login/config.json", #"{"auths": {"\#(registry)": {"auth": "\#(auth)"}}}"#)
        let allowed = try await Self.pullReport(
            template, through: "\(registry)/\(prefix)", store: directory.path + "/allowed", in: directory,
            environment: ["DOCKER_CONFIG": directory.path + "/login"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try await OCITest.unverifiedBlobs(in: directory.path + "/allowed").isEmpty)
    }
}
