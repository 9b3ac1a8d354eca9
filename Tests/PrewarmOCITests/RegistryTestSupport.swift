import Foundation
import PrewarmHTTP
import PrewarmTestKit
import Testing

@testable import PrewarmArchive
@testable import PrewarmOCI
@testable import PrewarmSupport

/// A ``RegistryBlobStore`` over a directory laid out as OCI's `blobs/sha256/<hex>`: what `OCIStore`
/// does, reduced to what the registry client needs.
struct DirectoryBlobStore: RegistryBlobStore {
    let root: String

    init(_ root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root + "/blobs/sha256", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
    }

    func path(of digest: String) -> String {
        root + "/blobs/sha256/" + digest.dropFirst("sha256:".count)
    }

    func blobPath(digest: String) async throws -> String? {
        FileManager.default.fileExists(atPath: path(of: digest)) ? path(of: digest) : nil
    }

    func temporaryBlobPath() async throws -> String {
        root + "/tmp/" + UUID().uuidString
    }

    func ingestVerifiedBlob(from temporaryPath: String, digest: String) async throws {
        if FileManager.default.fileExists(atPath: path(of: digest)) {
            try FileManager.default.removeItem(atPath: temporaryPath)
        } else {
            guard rename(temporaryPath, path(of: digest)) == 0 else {
                throw RegistryError(.io, "cannot move \(temporaryPath) to \(path(of: digest))")
            }
        }
    }

    /// Every blob's digest, sorted.
    func digests() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root + "/blobs/sha256").map { "sha256:" + $0 }.sorted()
    }

    /// Whether every blob's name is its content's digest.
    func isConsistent() throws -> Bool {
        try digests().allSatisfy { try ContentDigest.file(path(of: $0)) == $0 }
    }

    /// Stores `data` as a blob and returns its descriptor.
    @discardableResult
    func add(_ data: Data, mediaType: String, platform: OCIPlatform? = nil) throws -> OCIDescriptor {
        let digest = ContentDigest.data(data)
        try data.write(to: URL(fileURLWithPath: path(of: digest)))
        return OCIDescriptor(mediaType: mediaType, digest: digest, size: Int64(data.count), platform: platform)
    }
}

/// A small image made in a test: one tar layer of one file, a configuration and an OCI manifest.
struct TestImage {
    var manifest: OCIDescriptor
    var config: OCIDescriptor
    var layers: [OCIDescriptor]

    /// Writes the image's blobs into `store`. `text` decides the layer's content; `sharedLayer` is added
    /// as a second layer when given (the same bytes give the same blob).
    static func make(
        in store: DirectoryBlobStore, architecture: String = "amd64", text: String = UUID().uuidString,
        sharedLayer: String? = nil
    ) throws -> TestImage {
        var layers = [try store.add(try tar(["app/hello.txt": text]), mediaType: OCIMediaType.layer)]
        if let sharedLayer {
            layers.append(
                try store.add(try tar(["opt/shared.txt": sharedLayer]), mediaType: OCIMediaType.layer))
        }
        let diffIDs = layers.map { "\"\($0.digest)\"" }.joined(separator: ",")
        let configJSON = """
            {"architecture":"\(architecture)","os":"linux",\(architecture == "arm64" ? "\"variant\":\"v8\"," : "")\
            "config":{"Env":["PATH=/usr/bin"]},"rootfs":{"type":"layers","diff_ids":[\(diffIDs)]}}
            """
        let config = try store.add(Data(configJSON.utf8), mediaType: OCIMediaType.imageConfig)
        let manifest = OCIManifest(config: config, layers: layers)
        let data = try JSONEncoder.manifest.encode(manifest)
        let descriptor = try store.add(
            data, mediaType: OCIMediaType.imageManifest,
            platform: OCIPlatform(architecture: architecture, variant: architecture == "arm64" ? "v8" : nil))
        return TestImage(manifest: descriptor, config: config, layers: layers)
    }

    /// A tar archive of `files` (path → text), made with prewarm's own writer.
    static func tar(_ files: [String: String]) throws -> Data {
        let directory = try TemporaryDirectory("prewarm-tar")
        defer { directory.remove() }
        let path = directory.path + "/layer.tar"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var writer = TarWriter(output: handle)
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            try writer.addFile(name, contents: Data(text.utf8))
        }
        try writer.finish()
        try handle.close()
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }
}

/// The registries ci/test starts (`ci/services/registry`): one without auth, one with htpasswd basic auth.
/// With `PREWARM_REQUIRE_ENGINES=1` a missing one fails the test instead of skipping it.
enum TestRegistry {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// `127.0.0.1:PORT` of the registry without auth (`PREWARM_TEST_REGISTRY`), or `nil`.
    static func plain(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        value("PREWARM_TEST_REGISTRY", sourceLocation: sourceLocation)
    }

    /// `127.0.0.1:PORT`, user and password of the registry with basic auth, or `nil`.
    static func basicAuth(sourceLocation: SourceLocation = #_sourceLocation) -> (
        host: String, user: String, password: String
    )? {
        guard let host = value("PREWARM_TEST_REGISTRY_AUTH", sourceLocation: sourceLocation),
            let user = value("PREWARM_TEST_REGISTRY_USER", sourceLocation: sourceLocation),
            let password = value("PREWARM_TEST_REGISTRY_PASSWORD", sourceLocation: sourceLocation)
        else { return nil }
        return (host, user, password)
    }

    private static func value(_ name: String, sourceLocation: SourceLocation) -> String? {
        if let value = environment[name], !value.isEmpty { return value }
        if environment["PREWARM_REQUIRE_ENGINES"] == "1" {
            Issue.record(
                "\(name) is not set, but PREWARM_REQUIRE_ENGINES=1 requires the test registries (ci/services/registry)",
                sourceLocation: sourceLocation)
        }
        return nil
    }

    /// A repository name no other test uses.
    static func uniqueRepository(_ label: String) -> String {
        "prewarm-test/\(label)-\(UUID().uuidString.lowercased().prefix(8))"
    }

    /// A client with no credentials and quick retries.
    static func client(credentials: DockerCredentials = .none, mirrors: [RegistryMirror] = []) -> RegistryClient {
        RegistryClient(
            configuration: .init(
                mirrors: mirrors, credentials: credentials,
                retry: RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(20), maxDelay: .milliseconds(100))))
    }

    /// Starts `Tests/Fixtures/registry/proxy.py` in front of `upstream` with `options`.
    static func proxy(_ upstream: String, _ options: [String], in directory: TemporaryDirectory) async throws
        -> FixtureServer
    {
        try await FixtureServer.startPython(
            Fixtures.path("registry/proxy.py"), ["--upstream", upstream] + options, in: directory)
    }

    /// The proxy's request counts (`"GET blob"`, `"PUT upload"`, `"mount"`, …).
    static func stats(of proxy: FixtureServer) async throws -> [String: Int] {
        let response = try await HTTPClient().execute(HTTPRequest(url: proxy.baseURL() + "/_stats")).requireSuccess()
        return try JSONDecoder().decode([String: Int].self, from: response.body)
    }

    /// Writes a Docker config.json with `auths` (host → `user:password`) and returns its directory.
    static func dockerConfig(in directory: TemporaryDirectory, _ json: String) throws -> DockerCredentials {
        try directory.write("docker/config.json", json)
        return DockerCredentials(configDirectory: directory.path + "/docker", environment: [:])
    }

    /// Runs skopeo; `nil` when it is not installed (and that is allowed).
    static func skopeo(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws
        -> CommandResult?
    {
        guard let skopeo = CommandRunner.which("skopeo") else {
            if environment["PREWARM_REQUIRE_ENGINES"] == "1" {
                Issue.record("skopeo is not on PATH; ci/install installs it", sourceLocation: sourceLocation)
            }
            return nil
        }
        return try await CommandRunner.run(skopeo, arguments)
    }
}
