import Foundation
import PrewarmArchive
import PrewarmHTTP
import PrewarmLayers
import PrewarmSupport
import PrewarmTestKit
import Testing

/// The fault-injecting fixture server (`Tests/Fixtures/http/server.py`) serving the test zips from `/file/…`,
/// a layer store in the same temporary directory, and the means to count requests at the server.
struct LayerServer {
    let directory: TemporaryDirectory
    let server: FixtureServer
    let zips: String
    let base: String
    let client = HTTPClient()

    static func start(_ label: String = "prewarm-layers") async throws -> LayerServer {
        let directory = try TemporaryDirectory(label)
        let zips = try await LayerZips.make(["good.zip", "traversal.zip"], in: directory.path + "/zips")
        let server = try await FixtureServer.startPython(
            Fixtures.path("http/server.py"), ["--port", "0", "--root", zips], in: directory)
        return LayerServer(directory: directory, server: server, zips: zips, base: directory.path + "/cache")
    }

    func stop() {
        server.stop()
        directory.remove()
    }

    /// A store on the cache, retrying quickly.
    func store(attempts: Int = 4) -> LayerStore {
        LayerStore(
            baseDirectory: base,
            retryPolicy: RetryPolicy(maxAttempts: attempts, initialDelay: .milliseconds(10), jitter: 0))
    }

    func url(_ file: String, id: String, _ query: String = "") -> String {
        server.baseURL() + "/file/\(file)?id=\(id)" + (query.isEmpty ? "" : "&" + query)
    }

    func sha256(_ file: String) throws -> String {
        String(try ContentDigest.file(zips + "/" + file).dropFirst("sha256:".count))
    }

    /// How many requests `/file` had for `id`, and the `Range` field of each.
    func requests(_ id: String) async throws -> (count: Int, ranges: [String?]) {
        let response = try await client.execute(HTTPRequest(url: server.baseURL() + "/requests?id=\(id)"))
        let object = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        let ranges = (object["ranges"] as? [Any] ?? []).map { $0 as? String }
        return (object["count"] as? Int ?? -1, ranges)
    }

    /// The cache's files, without lock files and the directories that hold them.
    var cacheContents: [String] {
        tree(base).filter { !$0.hasSuffix(".lock") && $0 != ".prewarm/" }
    }
}

@Suite struct LayerStoreTests {
    @Test func downloadsVerifiesExtractsAndReusesALayer() async throws {
        let fixture = try await LayerServer.start()
        defer { fixture.stop() }
        let store = fixture.store()
        let sha = try fixture.sha256("good.zip")
        let layer = try await store.layer(
            named: "Good-1-abc", expectedSHA256: sha, download: fixture.url("good.zip", id: "reuse"),
            client: fixture.client)
        #expect(layer.path == fixture.base + "/Good-1-abc")
        #expect(layer.zipSHA256 == sha)
        #expect(layer.contentDigest == (try ContentDigest.directory(layer.path)))
        #expect(mode(layer.path + "/bin/tool") == 0o755)
        #expect(fixture.cacheContents.contains(".prewarm/Good-1-abc.json"))
        #expect(fixture.cacheContents.filter { $0.hasPrefix(".prewarm/") } == [".prewarm/Good-1-abc.json"])
        let base64 = Data(
            stride(from: 0, to: 64, by: 2).map { index -> UInt8 in
                let start = sha.index(sha.startIndex, offsetBy: index)
                return UInt8(sha[start..<sha.index(start, offsetBy: 2)], radix: 16) ?? 0
            }
        ).base64EncodedString()
        #expect(store.cached(named: "Good-1-abc", expectedSHA256: base64) == layer, "CodeSha256 is base64")
        let again = try await store.layer(
            named: "Good-1-abc", expectedSHA256: sha, download: fixture.url("good.zip", id: "reuse"),
            client: fixture.client)
        #expect(again == layer)
        #expect(try await fixture.requests("reuse").count == 1, "the second call uses the cache")
        #expect(store.cached(named: "Good-1-abc", expectedSHA256: String(repeating: "0", count: 64)) == nil)
    }

    /// A fault, and how many requests reach the server before the layer is cached.
    struct Fault: Sendable, CustomTestStringConvertible {
        var query: String
        var requests: Int
        /// Whether the last request asks for a range (a resume).
        var resumes: Bool
        var testDescription: String { query }
    }

    static let recoverable: [Fault] = [
        Fault(query: "faults=500", requests: 2, resumes: false),
        Fault(query: "faults=503,500", requests: 3, resumes: false),
        Fault(query: "faults=truncate", requests: 2, resumes: true),
        Fault(query: "faults=reset", requests: 2, resumes: true),
        Fault(query: "faults=truncate&ranges=0", requests: 2, resumes: true),
        Fault(query: "faults=truncate,truncate,truncate", requests: 4, resumes: true),
        Fault(query: "slow=30", requests: 1, resumes: false),
    ]

    /// Transient faults are retried (resuming with `Range` after a partial body, also from a server that
    /// ignores it and sends everything again), and the layer arrives whole.
    @Test(arguments: recoverable) func recoversFromATransientFault(_ fault: Fault) async throws {
        let fixture = try await LayerServer.start()
        defer { fixture.stop() }
        let sha = try fixture.sha256("good.zip")
        let layer = try await fixture.store().layer(
            named: "L", expectedSHA256: sha, download: fixture.url("good.zip", id: "f", fault.query),
            client: fixture.client)
        #expect(layer.zipSHA256 == sha)
        let blob = try FileManager.default.attributesOfItem(atPath: layer.path + "/data/blob.bin")
        #expect(blob[.size] as? Int == 1 << 20)
        let requests = try await fixture.requests("f")
        #expect(requests.count == fault.requests)
        let lastRange = requests.ranges.last ?? nil
        #expect((lastRange?.hasPrefix("bytes=") ?? false) == fault.resumes, "\(requests.ranges)")
        if fault.resumes { #expect(lastRange != "bytes=0-") }
        #expect(fixture.cacheContents.filter { $0.hasPrefix(".prewarm/") } == [".prewarm/L.json"], "no .part left")
    }

    @Test func aChecksumMismatchCachesNothing() async throws {
        let fixture = try await LayerServer.start()
        defer { fixture.stop() }
        let sha = try fixture.sha256("good.zip")
        let error = await #expect(throws: LayerStoreError.self) {
            try await fixture.store().layer(
                named: "L", expectedSHA256: sha, download: fixture.url("good.zip", id: "c", "faults=corrupt"),
                client: fixture.client)
        }
        #expect(error?.code == .checksumMismatch)
        #expect(error?.message.hasPrefix("layer L: the zip downloaded from http://127.0.0.1:") == true)
        #expect(error?.message.contains("not the expected \(sha); nothing was cached") == true)
        #expect(try await fixture.requests("c").count == 1, "a mismatch of a whole download is not retried")
        #expect(fixture.cacheContents == [], "no layer, no record, no partial file")
    }

    /// A resumed download that does not match is fetched once more from the start.
    @Test func aMismatchAfterAResumeStartsOver() async throws {
        let fixture = try await LayerServer.start()
        defer { fixture.stop() }
        let sha = try fixture.sha256("good.zip")
        let layer = try await fixture.store().layer(
            named: "L", expectedSHA256: sha, download: fixture.url("good.zip", id: "r", "faults=truncate,corrupt"),
            client: fixture.client)
        #expect(layer.zipSHA256 == sha)
        let requests = try await fixture.requests("r")
        #expect(requests.count == 3)
        #expect(requests.ranges.last == .some(nil), "the last request starts from the beginning")
    }

    @Test func persistentFailuresFailCleanlyWithTheURLRedacted() async throws {
        let fixture = try await LayerServer.start()
        defer { fixture.stop() }
        let sha = try fixture.sha256("good.zip")
        let secret = "X-Amz-Credential=AKIASECRETKEY%2F20250101&X-Amz-Signature=f00dfeedsecretsignature"
        let error = await #expect(throws: LayerStoreError.self) {
            try await fixture.store(attempts: 3).layer(
                named: "L", expectedSHA256: sha,
                download: fixture.url("good.zip", id: "p", "faults=500,500,500,500&" + secret), client: fixture.client)
        }
        #expect(error?.code == .download)
        #expect(error?.message == "layer L: the download failed after 3 attempts; check the network and retry")
        #expect(error?.description.contains("500") == true)
        #expect(error?.description.contains("X-Amz-Signature=REDACTED") == true)
        #expect(error?.description.contains("f00dfeed") == false)
        #expect(error?.description.contains("AKIASECRETKEY") == false)
        #expect(try await fixture.requests("p").count == 3)
        #expect(fixture.cacheContents == [])

        let forbidden = await #expect(throws: LayerStoreError.self) {
            try await fixture.store().layer(
                named: "L", expectedSHA256: sha, download: fixture.url("good.zip", id: "403", "faults=403&" + secret),
                client: fixture.client)
        }
        #expect(forbidden?.message.contains("after 1 attempt;") == true, "403 is not retried")
        #expect(forbidden?.description.contains("f00dfeed") == false)
        #expect(try await fixture.requests("403").count == 1)
    }

    @Test func aHostileDownloadedZipCachesNothing() async throws {
        let fixture = try await LayerServer.start()
        defer { fixture.stop() }
        let error = await #expect(throws: ArchiveError.self) {
            try await fixture.store().layer(
                named: "Evil", expectedSHA256: try fixture.sha256("traversal.zip"),
                download: fixture.url("traversal.zip", id: "e"), client: fixture.client)
        }
        #expect(
            error?.message == "layer zip Evil: entry '../../x' escapes the layer directory; the archive is rejected")
        #expect(fixture.cacheContents == [])
        #expect(tree(fixture.directory.path).filter { $0 == "x" || $0.hasSuffix("/x") }.isEmpty)
    }

    /// Two tasks fetching one layer at once: one download, the same directory for both.
    @Test func concurrentFetchesDownloadOnce() async throws {
        let fixture = try await LayerServer.start()
        defer { fixture.stop() }
        let sha = try fixture.sha256("good.zip")
        let url = fixture.url("good.zip", id: "both", "slow=20")
        let store = fixture.store()
        async let first = store.layer(named: "Shared", expectedSHA256: sha, download: url, client: fixture.client)
        async let second = store.layer(named: "Shared", expectedSHA256: sha, download: url, client: fixture.client)
        let (a, b) = try await (first, second)
        #expect(a == b)
        #expect(try await fixture.requests("both").count == 1)
    }

    /// A directory without a matching record (left by SAM CLI or half-written) is replaced, and a cached
    /// layer whose files changed is no longer trusted.
    @Test func replacesWhatItCannotTrust() async throws {
        let fixture = try await LayerServer.start()
        defer { fixture.stop() }
        let sha = try fixture.sha256("good.zip")
        try fixture.directory.write("cache/L/half-written", "x")
        let store = fixture.store()
        #expect(store.cached(named: "L", expectedSHA256: sha) == nil)
        let layer = try await store.layer(
            named: "L", expectedSHA256: sha, download: fixture.url("good.zip", id: "t"), client: fixture.client)
        #expect(!FileManager.default.fileExists(atPath: layer.path + "/half-written"))
        #expect(store.cached(named: "L", expectedSHA256: sha) == layer)
        try Data("changed".utf8).write(to: URL(fileURLWithPath: layer.path + "/python/lib/mod.py"))
        #expect(store.cached(named: "L", expectedSHA256: sha) == nil, "an edited file is noticed")
        let again = try await store.layer(
            named: "L", expectedSHA256: sha, download: fixture.url("good.zip", id: "t"), client: fixture.client)
        #expect(again == layer)
        #expect(try String(contentsOfFile: again.path + "/python/lib/mod.py", encoding: .utf8) == "print('hi')\n")
        #expect(try await fixture.requests("t").count == 2)
        #expect(fixture.cacheContents.filter { $0.hasPrefix(".prewarm/") } == [".prewarm/L.json"], "nothing aside")
    }

    @Test func aLocalZipIsCachedByItsContent() async throws {
        let directory = try TemporaryDirectory("prewarm-local")
        defer { directory.remove() }
        let zips = try await LayerZips.make(["good.zip"], in: directory.path + "/zips")
        let store = LayerStore(baseDirectory: directory.path + "/cache")
        let layer = try await store.localZip(path: zips + "/good.zip")
        let hex = String(try ContentDigest.file(zips + "/good.zip").dropFirst(7))
        #expect(layer.path == directory.path + "/cache/.prewarm/local/\(hex)")
        #expect(layer.zipSHA256 == hex)
        #expect(try await store.localZip(path: zips + "/good.zip") == layer)
        #expect(store.cached(named: "good.zip", expectedSHA256: hex) == nil, "local zips are not named layers")
    }

    @Test func rejectsANameThatIsNotOneDirectory() async throws {
        let store = LayerStore(baseDirectory: "/nonexistent")
        for name in ["", "..", ".prewarm", "a/b", "../x"] {
            let error = await #expect(throws: LayerStoreError.self) {
                try await store.layer(
                    named: name, expectedSHA256: String(repeating: "a", count: 64), download: "http://127.0.0.1:9/",
                    client: HTTPClient())
            }
            #expect(error?.code == .invalidPath)
        }
    }

    @Test func defaultBaseDirectoryIsSAMs() {
        #expect(LayerStore.defaultBaseDirectory(environment: ["HOME": "/h"]) == "/h/.aws-sam/layers-pkg")
        #expect(
            LayerStore.defaultBaseDirectory(environment: ["HOME": "/h", "SAM_LAYER_CACHE_BASEDIR": "/c"]) == "/c")
    }
}

/// Two processes (`Tests/LayerRacer`) on one cache.
@Suite struct LayerStoreProcessTests {
    @Test func twoProcessesFetchingOneLayerDownloadItOnce() async throws {
        let fixture = try await LayerServer.start()
        defer { fixture.stop() }
        let executable = try #require(
            Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("LayerRacer").path)
        try #require(FileManager.default.isExecutableFile(atPath: executable), "LayerRacer not built at \(executable)")
        let sha = try fixture.sha256("good.zip")
        let go = fixture.directory.path + "/go"
        let arguments = [fixture.base, "Shared", sha, fixture.url("good.zip", id: "procs", "slow=20"), go]
        async let first = CommandRunner.run(executable, arguments)
        async let second = CommandRunner.run(executable, arguments)
        try await Task.sleep(for: .milliseconds(300))
        try fixture.directory.write("go", "")
        let results = try await [first, second]
        for result in results {
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(results[0].stdout == results[1].stdout)
        #expect(results[0].stdout.hasPrefix("layer \(fixture.base)/Shared sha256:"))
        #expect(try await fixture.requests("procs").count == 1)
        #expect(fixture.cacheContents.filter { $0.hasPrefix(".prewarm/") } == [".prewarm/Shared.json"])
    }
}
