import Foundation
import PrewarmTestKit
import Testing

@testable import PrewarmOCI
@testable import PrewarmSupport

/// Image references, mirrors, tags for content keys, platforms, challenges and Docker credentials: the
/// parts of the registry client that need no registry.
@Suite struct RegistryReferenceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var registry: String
        var repository: String
        var tag: String?
        var digest: String?
        var testDescription: String { text }
    }

    static let digestA = "sha256:" + String(repeating: "ab", count: 32)
    static let digestZero = "sha256:" + String(repeating: "0", count: 64)
    static let cases: [Case] = [
        Case(text: "busybox", registry: "docker.io", repository: "library/busybox", tag: "latest"),
        Case(text: "docker.io/library/busybox:1.36", registry: "docker.io", repository: "library/busybox", tag: "1.36"),
        Case(text: "index.docker.io/user/app:v1", registry: "docker.io", repository: "user/app", tag: "v1"),
        Case(text: "user/app", registry: "docker.io", repository: "user/app", tag: "latest"),
        Case(text: "localhost:5000/x", registry: "localhost:5000", repository: "x", tag: "latest"),
        Case(text: "localhost/x:y", registry: "localhost", repository: "x", tag: "y"),
        Case(text: "127.0.0.1:41823/a/b/c:t-1.2_3", registry: "127.0.0.1:41823", repository: "a/b/c", tag: "t-1.2_3"),
        Case(
            text: "public.ecr.aws/lambda/python:3.12", registry: "public.ecr.aws", repository: "lambda/python",
            tag: "3.12"),
        Case(
            text: "public.ecr.aws/lambda/python@" + digestA, registry: "public.ecr.aws", repository: "lambda/python",
            digest: digestA),
        Case(
            text: "public.ecr.aws/lambda/python:3.12@" + digestZero, registry: "public.ecr.aws",
            repository: "lambda/python", tag: "3.12", digest: digestZero),
    ]

    @Test(arguments: cases)
    func readsReferences(_ expected: Case) throws {
        let reference = try ImageReference(expected.text)
        #expect(reference.registry == expected.registry)
        #expect(reference.repository == expected.repository)
        #expect(reference.tag == expected.tag)
        #expect(reference.digest == expected.digest)
        #expect(try ImageReference(reference.description) == reference, "its description reads back")
    }

    @Test func dockerHubIsServedByRegistry1() throws {
        #expect(try ImageReference("busybox").apiHost == "registry-1.docker.io")
        #expect(try ImageReference("public.ecr.aws/lambda/python:3.12").apiHost == "public.ecr.aws")
    }

    @Test(arguments: [
        "", "UPPER/case", "a//b", "x:", "x@sha256:12", "x:bad tag", "/x", "x/",
        "x:" + String(repeating: "t", count: 129),
    ])
    func refusesMalformedReferences(text: String) {
        #expect {
            try ImageReference(text)
        } throws: { error in
            let error = error as? RegistryError
            return error?.code == .invalidReference && error?.message.contains("'\(text)'") == true
                && error?.message.contains("[registry/]repository[:tag]") == true
        }
    }

    @Test func mirrorsRewriteHostAndPathPrefix() throws {
        let python = try ImageReference("public.ecr.aws/lambda/python:3.12")
        let plain = try RegistryMirror("public.ecr.aws=127.0.0.1:5000")
        #expect(plain.apply(to: python).description == "127.0.0.1:5000/lambda/python:3.12")
        let prefixed = try RegistryMirror("public.ecr.aws/lambda=https://mirror.example.com/ecr/")
        #expect(prefixed.apply(to: python).description == "mirror.example.com/ecr/python:3.12")
        #expect(prefixed.description == "public.ecr.aws/lambda=mirror.example.com/ecr")
        let other = try ImageReference("public.ecr.aws/lambdax/python:3.12")
        #expect(prefixed.apply(to: other) == other, "a prefix matches whole path components")
        let hub = try RegistryMirror("docker.io=127.0.0.1:5000/hub")
        #expect(hub.apply(to: try ImageReference("busybox")).description == "127.0.0.1:5000/hub/library/busybox:latest")
        #expect(RegistryMirror.resolve(python, with: [hub, plain]).registry == "127.0.0.1:5000")
    }

    @Test(arguments: ["public.ecr.aws", "=x", "x=", "a=b=c", "a b=c", "a=b//c", "a=127.0.0.1:", "a=h:99999", "a:x=b"])
    func refusesMalformedMirrors(text: String) {
        #expect {
            try RegistryMirror(text)
        } throws: { error in
            let message = (error as? RegistryError)?.message ?? ""
            return message.contains("'\(text)'") && message.contains("FROM=TO")
        }
    }

    @Test func contentKeysBecomeValidTags() throws {
        let key = "sha256:" + String(repeating: "AbC0", count: 16)
        let tag = try RegistryTag.forContentKey(key)
        #expect(tag == "pw-" + String(repeating: "abc0", count: 16))
        #expect(RegistryTag.isValid(tag))
        #expect(try RegistryTag.forContentKey(String(repeating: "f", count: 80)).count == 67, "at most 64 digits")
        #expect(throws: RegistryError.self) { try RegistryTag.forContentKey("not a key") }
        #expect(!RegistryTag.isValid(".hidden") && !RegistryTag.isValid("") && !RegistryTag.isValid("a/b"))
        #expect(RegistryTag.isValid("_x.Y-1") && RegistryTag.isValid(String(repeating: "t", count: 128)))
    }

    @Test func platformsMatchWithArm64VariantTolerance() throws {
        let arm = try OCIPlatform("linux/arm64")
        #expect(arm.accepts(OCIPlatform(architecture: "arm64", variant: "v8")))
        #expect(try OCIPlatform("linux/arm64/v8").accepts(OCIPlatform(architecture: "arm64")))
        #expect(!arm.accepts(OCIPlatform(architecture: "amd64")))
        #expect(throws: RegistryError.self) { try OCIPlatform("arm64") }
        let index = OCIIndex(manifests: [
            OCIDescriptor(
                mediaType: OCIMediaType.imageManifest, digest: "sha256:a", size: 1,
                platform: OCIPlatform(architecture: "amd64")),
            OCIDescriptor(
                mediaType: OCIMediaType.imageManifest, digest: "sha256:b", size: 1,
                platform: OCIPlatform(architecture: "arm64", variant: "v8")),
        ])
        #expect(RegistryClient.select(arm, in: index)?.digest == "sha256:b")
        #expect(RegistryClient.select(try OCIPlatform("linux/s390x"), in: index) == nil)
    }

    @Test func readsBearerAndBasicChallenges() throws {
        let bearer = try #require(
            RegistryClient.Challenge(
                #"Bearer realm="https://public.ecr.aws/token/",service="public.ecr.aws",scope="repository:lambda/python:pull,push""#
            ))
        #expect(bearer.scheme == "bearer")
        #expect(bearer.parameters["realm"] == "https://public.ecr.aws/token/")
        #expect(bearer.parameters["service"] == "public.ecr.aws")
        #expect(bearer.parameters["scope"] == "repository:lambda/python:pull,push")
        let basic = try #require(RegistryClient.Challenge(#"Basic realm="prewarm-test""#))
        #expect(basic.scheme == "basic" && basic.parameters["realm"] == "prewarm-test")
    }

    @Test func loopbackRegistriesUsePlainHTTP() {
        #expect(RegistryClient.usesPlainHTTP("127.0.0.1:5000"))
        #expect(RegistryClient.usesPlainHTTP("localhost"))
        #expect(RegistryClient.usesPlainHTTP("[::1]:5000"))
        #expect(!RegistryClient.usesPlainHTTP("public.ecr.aws"))
        #expect(!RegistryClient.usesPlainHTTP("localhost.example.com:5000"))
    }

    // MARK: - Docker credentials

    @Test func readsCredentialsOfEveryFormInConfigJSON() async throws {
        let directory = try TemporaryDirectory("prewarm-creds")
        defer { directory.remove() }
        let auth = Data("alice:s3cret:with:colons".utf8).base64EncodedString()
        let credentials = try TestRegistry.dockerConfig(
            in: directory,
            """
            {"auths": {
              "127.0.0.1:5000": {"auth": "\(auth)"},
              "https://registry.example.com": {"username": "bob", "password": "hunter2"},
              "ecr.example.com": {"identitytoken": "refresh-me"},
              "https://index.docker.io/v1/": {"auth": "\(Data("hub:pw".utf8).base64EncodedString())"}
            }}
            """)
        #expect(
            try await credentials.credential(for: "127.0.0.1:5000")
                == .basic(username: "alice", password: "s3cret:with:colons"))
        #expect(
            try await credentials.credential(for: "registry.example.com")
                == .basic(username: "bob", password: "hunter2"))
        #expect(try await credentials.credential(for: "ecr.example.com") == .identityToken("refresh-me"))
        #expect(try await credentials.credential(for: "docker.io") == .basic(username: "hub", password: "pw"))
        #expect(try await credentials.credential(for: "elsewhere.example.com") == nil)
        #expect(RegistryCredential.basic(username: "bob", password: "hunter2").description == "user bob")
    }

    @Test func dockerConfigEnvironmentNamesTheDirectory() {
        let credentials = DockerCredentials(environment: ["DOCKER_CONFIG": "/etc/custom", "HOME": "/home/x"])
        #expect(credentials.configPath == "/etc/custom/config.json")
        #expect(DockerCredentials(environment: ["HOME": "/home/x"]).configPath == "/home/x/.docker/config.json")
    }

    @Test func credentialHelpersAreRunOrNamedWhenMissing() async throws {
        let directory = try TemporaryDirectory("prewarm-creds")
        defer { directory.remove() }
        let helper = try directory.write(
            "bin/docker-credential-fake",
            """
            #!/bin/sh
            read host
            case "$host" in
              127.0.0.1:5000) echo '{"ServerURL":"127.0.0.1:5000","Username":"carol","Secret":"from-helper"}' ;;
              token.example.com) echo '{"ServerURL":"token.example.com","Username":"<token>","Secret":"refresh"}' ;;
              *) echo "credentials not found in native keychain"; exit 1 ;;
            esac
            """)
        chmod(helper, 0o755)
        try directory.write(
            "docker/config.json",
            #"{"credsStore": "fake", "credHelpers": {"ghcr.example.com": "absent"}}"#)
        let credentials = DockerCredentials(
            configDirectory: directory.path + "/docker", environment: ["PATH": directory.path + "/bin"])
        #expect(
            try await credentials.credential(for: "127.0.0.1:5000")
                == .basic(username: "carol", password: "from-helper"))
        #expect(try await credentials.credential(for: "token.example.com") == .identityToken("refresh"))
        #expect(try await credentials.credential(for: "other.example.com") == nil)
        await #expect {
            try await credentials.credential(for: "ghcr.example.com")
        } throws: { error in
            let message = (error as? RegistryError)?.message ?? ""
            return message.contains("docker-credential-absent") && message.contains("not on PATH")
                && message.contains("ghcr.example.com")
        }
    }
}
