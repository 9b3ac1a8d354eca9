import Foundation
import PrewarmHTTP
import PrewarmTestKit
import Testing

@testable import PrewarmArchive
@testable import PrewarmOCI
@testable import PrewarmSupport

/// Push and pull against the real registries ci/test starts (`ci/services/registry`: Distribution 2.8 on
/// 127.0.0.1, one without auth and one with htpasswd basic auth), checked with skopeo, an independent
/// client. Each test uses repositories of its own.
@Suite struct RegistryPushPullTests {
    @Test func pushedImagePullsBackWithEqualDigestsAndSkopeoAcceptsIt() async throws {
        guard let registry = TestRegistry.plain() else { return }
        let directory = try TemporaryDirectory("prewarm-registry")
        defer { directory.remove() }
        let source = try DirectoryBlobStore(directory.path + "/a")
        let image = try TestImage.make(in: source)
        let reference = try ImageReference("\(registry)/\(TestRegistry.uniqueRepository("roundtrip")):v1")
        let client = TestRegistry.client()

        let pushed = try await client.push(manifestDigest: image.manifest.digest, from: source, to: reference)
        #expect(pushed.digest == image.manifest.digest)
        #expect(pushed.mediaType == OCIMediaType.imageManifest)
        #expect(try await client.exists(reference))
        #expect(try await !client.exists(reference.withTag("absent")))
        #expect(try await client.manifest(for: reference.withTag("absent")) == nil)

        let target = try DirectoryBlobStore(directory.path + "/b")
        let pulled = try await client.pull(reference, platform: OCIPlatform(architecture: "amd64"), into: target)
        #expect(pulled.manifest.digest == image.manifest.digest)
        #expect(pulled.platform == OCIPlatform(architecture: "amd64"))
        #expect(pulled.indexDigest == nil)
        #expect(try target.digests() == source.digests(), "the same blobs, manifest included")
        #expect(try target.isConsistent())

        guard let inspect = try await TestRegistry.skopeo(["inspect", "--tls-verify=false", "docker://\(reference)"])
        else { return }
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        #expect(object?["Digest"] as? String == image.manifest.digest)
        #expect(object?["Architecture"] as? String == "amd64")
        #expect((object?["Layers"] as? [String]) == image.layers.map(\.digest))
    }

    @Test func twoArchitectureIndexIsAcceptedBySkopeoAndResolvedPerPlatform() async throws {
        guard let registry = TestRegistry.plain() else { return }
        let directory = try TemporaryDirectory("prewarm-registry")
        defer { directory.remove() }
        let store = try DirectoryBlobStore(directory.path + "/a")
        let amd64 = try TestImage.make(in: store, architecture: "amd64", sharedLayer: "one layer for both")
        let arm64 = try TestImage.make(in: store, architecture: "arm64", sharedLayer: "one layer for both")
        let reference = try ImageReference("\(registry)/\(TestRegistry.uniqueRepository("index")):multi")
        let client = TestRegistry.client()
        var manifests: [OCIDescriptor] = []
        for image in [amd64, arm64] {
            var pushed = try await client.push(
                manifestDigest: image.manifest.digest, from: store, to: reference.withDigest(image.manifest.digest))
            pushed.platform = image.manifest.platform
            manifests.append(pushed)
        }
        let index = try await client.pushIndex(manifests, to: reference)
        #expect(index.mediaType == OCIMediaType.imageIndex)
        let statistics = await client.statistics
        #expect(statistics.blobsUploaded == 5, "two layers, one shared layer, two configs")
        #expect(statistics.blobsAlreadyInRegistry == 1, "the shared layer, the second time")

        let content = try #require(try await client.manifest(for: reference))
        #expect(content.isIndex && content.digest == index.digest)
        let platforms = try content.imageIndex().manifests.compactMap(\.platform).map(\.description)
        #expect(platforms == ["linux/amd64", "linux/arm64/v8"])

        let pulledStore = try DirectoryBlobStore(directory.path + "/b")
        let pulled = try await client.pull(reference, platform: try OCIPlatform("linux/arm64"), into: pulledStore)
        #expect(pulled.manifest.digest == arm64.manifest.digest)
        #expect(pulled.indexDigest == index.digest)
        #expect(pulled.platform.description == "linux/arm64/v8")

        guard
            let raw = try await TestRegistry.skopeo(["inspect", "--tls-verify=false", "--raw", "docker://\(reference)"])
        else { return }
        #expect(raw.status == 0, "\(raw.stderr)")
        #expect(ContentDigest.text(raw.stdout) == index.digest, "skopeo reads back the index as pushed")
        for (architecture, image) in [("amd64", amd64), ("arm64", arm64)] {
            let inspect = try #require(
                try await TestRegistry.skopeo([
                    "inspect", "--tls-verify=false", "--override-arch", architecture, "docker://\(reference)",
                ]))
            #expect(inspect.status == 0, "\(inspect.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
            // skopeo 1.9 names the index's digest here, and the chosen image's architecture and layers.
            #expect(object?["Digest"] as? String == index.digest, "\(architecture)")
            #expect(object?["Architecture"] as? String == architecture)
            #expect((object?["Layers"] as? [String]) == image.layers.map(\.digest))
        }
    }

    @Test func aSecondPushSendsNoBlobAndAMountReplacesTheUpload() async throws {
        guard let registry = TestRegistry.plain() else { return }
        let directory = try TemporaryDirectory("prewarm-registry")
        defer { directory.remove() }
        let proxy = try await TestRegistry.proxy(registry, ["--relative-location"], in: directory)
        defer { proxy.stop() }
        let store = try DirectoryBlobStore(directory.path + "/a")
        let image = try TestImage.make(in: store, sharedLayer: UUID().uuidString)
        let host = "127.0.0.1:\(proxy.listening)"
        let first = try ImageReference("\(host)/\(TestRegistry.uniqueRepository("first")):v1")
        let client = TestRegistry.client()

        try await client.push(manifestDigest: image.manifest.digest, from: store, to: first)
        var stats = try await TestRegistry.stats(of: proxy)
        #expect(stats["PUT upload"] == 3, "config and two layers, each uploaded once (relative Location followed)")

        try await client.push(manifestDigest: image.manifest.digest, from: store, to: first.withTag("v2"))
        stats = try await TestRegistry.stats(of: proxy)
        #expect(stats["PUT upload"] == 3, "the second push uploads nothing")
        #expect(stats["HEAD blob"] == 6)
        #expect(await client.statistics.blobsAlreadyInRegistry == 3)

        let second = try ImageReference("\(host)/\(TestRegistry.uniqueRepository("second")):v1")
        try await client.push(
            manifestDigest: image.manifest.digest, from: store, to: second, mountingFrom: first.repository)
        stats = try await TestRegistry.stats(of: proxy)
        #expect(stats["mount"] == 3, "each blob mounted from the first repository")
        #expect(stats["PUT upload"] == 3, "and none uploaded")
        #expect(await client.statistics.blobsMounted == 3)
        #expect(try await client.exists(second))
    }

    @Test func basicAuthUsesDockerConfigAndSaysWhatToDoWithout() async throws {
        guard let (registry, user, password) = TestRegistry.basicAuth() else { return }
        let directory = try TemporaryDirectory("prewarm-registry")
        defer { directory.remove() }
        let store = try DirectoryBlobStore(directory.path + "/a")
        let image = try TestImage.make(in: store)
        let reference = try ImageReference("\(registry)/\(TestRegistry.uniqueRepository("basic")):v1")

        let anonymous = TestRegistry.client()
        await #expect {
            try await anonymous.push(manifestDigest: image.manifest.digest, from: store, to: reference)
        } throws: { error in
            let error = error as? RegistryError
            let message = error?.message ?? ""
            return error?.code == .unauthorized && message.contains("registry \(registry)")
                && message.contains("docker login \(registry)") && message.contains("config.json")
                && !message.contains("\n")
        }

        let wrong = try TestRegistry.dockerConfig(
            in: directory, #"{"auths": {"\#(registry)": {"username": "\#(user)", "password": "wrong-password"}}}"#)
        await #expect {
            try await TestRegistry.client(credentials: wrong).exists(reference)
        } throws: { error in
            let message = (error as? RegistryError)?.message ?? ""
            return message.contains("refused the credentials") && !message.contains("wrong-password")
        }

        let auth = Data("\(user):\(password)".utf8).base64EncodedString()
        let credentials = try TestRegistry.dockerConfig(
            in: directory, #"{"auths": {"\#(registry)": {"auth": "\#(auth)"}}}"#)
        let client = TestRegistry.client(credentials: credentials)
        let pushed = try await client.push(manifestDigest: image.manifest.digest, from: store, to: reference)
        let target = try DirectoryBlobStore(directory.path + "/b")
        let pulled = try await client.pull(reference, platform: OCIPlatform(architecture: "amd64"), into: target)
        #expect(pulled.manifest.digest == pushed.digest)

        guard
            let inspect = try await TestRegistry.skopeo([
                "inspect", "--tls-verify=false", "--creds", "\(user):\(password)", "docker://\(reference)",
            ])
        else { return }
        #expect(inspect.status == 0, "\(inspect.stderr)")
    }

    @Test func aCredentialHelperAnswersForTheRegistry() async throws {
        guard let (registry, user, password) = TestRegistry.basicAuth() else { return }
        let directory = try TemporaryDirectory("prewarm-registry")
        defer { directory.remove() }
        let helper = try directory.write(
            "bin/docker-credential-prewarmtest",
            """
            #!/bin/sh
            read host
            [ "$host" = "\(registry)" ] || { echo "credentials not found in native keychain"; exit 1; }
            echo '{"ServerURL":"\(registry)","Username":"\(user)","Secret":"\(password)"}'
            """)
        chmod(helper, 0o755)
        try directory.write("docker/config.json", #"{"credHelpers": {"\#(registry)": "prewarmtest"}}"#)
        let credentials = DockerCredentials(
            configDirectory: directory.path + "/docker", environment: ["PATH": directory.path + "/bin"])
        let store = try DirectoryBlobStore(directory.path + "/a")
        let image = try TestImage.make(in: store)
        let reference = try ImageReference("\(registry)/\(TestRegistry.uniqueRepository("helper")):v1")
        let client = TestRegistry.client(credentials: credentials)
        try await client.push(manifestDigest: image.manifest.digest, from: store, to: reference)
        #expect(try await client.exists(reference))
    }

    @Test func anonymousAndCredentialedBearerTokens() async throws {
        guard let registry = TestRegistry.plain() else { return }
        let directory = try TemporaryDirectory("prewarm-registry")
        defer { directory.remove() }
        let store = try DirectoryBlobStore(directory.path + "/a")
        let image = try TestImage.make(in: store)
        let repository = TestRegistry.uniqueRepository("bearer")

        // Anonymous tokens, as public.ecr.aws gives: enough to push and pull here (the fixture does not
        // restrict who gets which scope).
        let anonymousProxy = try await TestRegistry.proxy(registry, ["--bearer"], in: directory)
        defer { anonymousProxy.stop() }
        let reference = try ImageReference("127.0.0.1:\(anonymousProxy.listening)/\(repository):v1")
        let client = TestRegistry.client()
        try await client.push(manifestDigest: image.manifest.digest, from: store, to: reference)
        let target = try DirectoryBlobStore(directory.path + "/b")
        let pulled = try await client.pull(reference, platform: OCIPlatform(architecture: "amd64"), into: target)
        #expect(pulled.manifest.digest == image.manifest.digest)
        let stats = try await TestRegistry.stats(of: anonymousProxy)
        #expect((stats["GET token"] ?? 0) == 2, "one token for push, one for pull, each reused: \(stats)")

        // A token service that wants credentials.
        let privateProxy = try await TestRegistry.proxy(
            registry, ["--bearer", "--bearer-user", "dave:t0ken-pass"], in: directory)
        defer { privateProxy.stop() }
        let host = "127.0.0.1:\(privateProxy.listening)"
        let privateReference = try ImageReference("\(host)/\(repository):v1")
        await #expect {
            try await TestRegistry.client().exists(privateReference)
        } throws: { error in
            let message = (error as? RegistryError)?.message ?? ""
            return (error as? RegistryError)?.code == .unauthorized && message.contains("docker login \(host)")
                && !message.contains("t0ken-pass")
        }
        let credentials = try TestRegistry.dockerConfig(
            in: directory, #"{"auths": {"\#(host)": {"username": "dave", "password": "t0ken-pass"}}}"#)
        #expect(try await TestRegistry.client(credentials: credentials).exists(privateReference))

        // A token service that takes the refresh token `docker login` leaves as `identitytoken`.
        let oauthProxy = try await TestRegistry.proxy(
            registry, ["--bearer", "--refresh-token", "refresh-me-123"], in: directory)
        defer { oauthProxy.stop() }
        let oauthHost = "127.0.0.1:\(oauthProxy.listening)"
        let identity = try TestRegistry.dockerConfig(
            in: directory, #"{"auths": {"\#(oauthHost)": {"identitytoken": "refresh-me-123"}}}"#)
        let oauthClient = TestRegistry.client(credentials: identity)
        #expect(try await oauthClient.exists(try ImageReference("\(oauthHost)/\(repository):v1")))
        #expect(try await TestRegistry.stats(of: oauthProxy)["POST token"] == 1)
    }

    @Test func mirrorsServePullsFromAnotherRegistry() async throws {
        guard let registry = TestRegistry.plain() else { return }
        let directory = try TemporaryDirectory("prewarm-registry")
        defer { directory.remove() }
        let store = try DirectoryBlobStore(directory.path + "/a")
        let image = try TestImage.make(in: store)
        let repository = TestRegistry.uniqueRepository("mirror")
        try await TestRegistry.client().push(
            manifestDigest: image.manifest.digest, from: store, to: try ImageReference("\(registry)/\(repository):3.12")
        )

        let mirror = try RegistryMirror("public.ecr.aws/lambda=\(registry)/\(repository.split(separator: "/")[0])")
        let client = TestRegistry.client(mirrors: [mirror])
        let name = repository.split(separator: "/")[1]
        let target = try DirectoryBlobStore(directory.path + "/b")
        let pulled = try await client.pull(
            try ImageReference("public.ecr.aws/lambda/\(name):3.12"), platform: OCIPlatform(architecture: "amd64"),
            into: target)
        #expect(pulled.source.registry == registry)
        #expect(pulled.manifest.digest == image.manifest.digest)
        #expect(pulled.reference.registry == "public.ecr.aws")
    }
}
