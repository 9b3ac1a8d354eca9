import Foundation
import PrewarmHTTP
import PrewarmTestKit
import Testing

@Suite struct HTTPFailureTests {
    @Test func theTotalTimeoutFires() async throws {
        try await withHTTPFixture { fixture in
            let request = HTTPRequest(
                url: "\(fixture.base)/delay?ms=5000", timeouts: HTTPTimeouts(total: .milliseconds(300)))
            let error = try await #require(throws: HTTPError.self) { try await HTTPClient().execute(request) }
            #expect(error.code == .timedOut)
            #expect(error.message.contains("timed out"))
        }
    }

    @Test func theStallTimeoutFires() async throws {
        try await withHTTPFixture { fixture in
            let timeouts = HTTPTimeouts(stall: .init(bytesPerSecond: 1, duration: .seconds(1)))
            let client = HTTPClient(configuration: .init(timeouts: timeouts))
            let error = try await #require(throws: HTTPError.self) {
                try await client.download(
                    HTTPRequest(url: "\(fixture.base)/stall?length=1000&send=0&ms=8000"), to: fixture.path("blob"))
            }
            #expect(error.code == .timedOut)
            #expect(error.message.contains("too slow"))
        }
    }

    @Test func theConnectTimeoutFires() async throws {
        try await withHTTPFixture(arguments: ["--blackhole"]) { fixture in
            let port = try #require(fixture.server.announcements["BLACKHOLE"])
            let request = HTTPRequest(
                url: "http://127.0.0.1:\(port)/", timeouts: HTTPTimeouts(connect: .milliseconds(300)))
            let error = try await #require(throws: HTTPError.self) { try await HTTPClient().execute(request) }
            #expect(error.code == .timedOut)
            #expect(error.message.lowercased().contains("connect"))
        }
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let id = UUID().uuidString
            let task = Task {
                try await client.execute(HTTPRequest(url: "\(fixture.base)/hold?id=\(id)&ms=10000"))
            }
            let held = try await eventually { try await holdState(fixture, id, client) == "holding" }
            #expect(held)
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            // The server sees the connection go away: the easy handle was removed, not left to finish.
            let aborted = try await eventually { try await holdState(fixture, id, client) == "aborted" }
            #expect(aborted)
        }
    }

    @Test func cancellingBeforeTheStartNeverSends() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let id = UUID().uuidString
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.execute(HTTPRequest(url: "\(fixture.base)/hold?id=\(id)&ms=10000"))
            }
            await #expect(throws: CancellationError.self) { try await task.value }
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await holdState(fixture, id, client) == "unknown")
        }
    }

    @Test func cancellingAStreamReaderAbortsTheTransfer() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let gate = UUID().uuidString
            let response = try await client.stream(HTTPRequest(url: "\(fixture.base)/ndjson?lines=3&gate=\(gate)"))
            let reader = Task {
                var count = 0
                for try await _ in response.body.lines { count += 1 }
                return count
            }
            // Wait until the server waits at its gate after the first line, then cancel the reader.
            let waiting = try await eventually {
                try await gateStatus(fixture, gate, client)["waiting"] as? Bool == true
            }
            #expect(waiting)
            try await Task.sleep(for: .milliseconds(200))
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            // Once released, the server finds the connection gone.
            _ = try await client.execute(HTTPRequest(url: "\(fixture.base)/release?id=\(gate)"))
            let aborted = try await eventually {
                try await gateStatus(fixture, gate, client)["stream"] as? String == "aborted"
            }
            #expect(aborted)
        }
    }

    @Test func droppingAStreamedBodyAbortsTheTransfer() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let gate = UUID().uuidString
            do {
                let response = try await client.stream(HTTPRequest(url: "\(fixture.base)/ndjson?lines=3&gate=\(gate)"))
                #expect(response.status == 200)
            }
            let waiting = try await eventually {
                try await gateStatus(fixture, gate, client)["waiting"] as? Bool == true
            }
            #expect(waiting)
            _ = try await client.execute(HTTPRequest(url: "\(fixture.base)/release?id=\(gate)"))
            let aborted = try await eventually {
                try await gateStatus(fixture, gate, client)["stream"] as? String == "aborted"
            }
            #expect(aborted)
        }
    }

    @Test func aTruncatedBodyIsAnError() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let url = "\(fixture.base)/truncated?length=100000&send=1000"
            let buffered = try await #require(throws: HTTPError.self) {
                try await client.execute(HTTPRequest(url: url))
            }
            #expect(buffered.code == .truncated)

            let path = fixture.path("blob")
            let downloaded = try await #require(throws: HTTPError.self) {
                try await client.download(HTTPRequest(url: url), to: path)
            }
            #expect(downloaded.code == .truncated)
            // What arrived stays, for a retry to resume from.
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Pattern.bytes(0..<1000))

            let response = try await client.stream(HTTPRequest(url: url))
            let streamed = try await #require(throws: HTTPError.self) {
                for try await _ in response.body {}
            }
            #expect(streamed.code == .truncated)
        }
    }

    /// libcurl itself calls such an answer complete; prewarm must not take it for an empty success.
    @Test func aResponseCutInItsHeaderBlockIsTruncated() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let url = "\(fixture.base)/cut-head"
            let buffered = try await #require(throws: HTTPError.self) {
                try await client.execute(HTTPRequest(method: .post, url: url, body: .text("{}")))
            }
            #expect(buffered.code == .truncated)
            #expect(buffered.isTransient)
            #expect(buffered.message.contains("header fields"), "\(buffered.message)")

            let downloaded = try await #require(throws: HTTPError.self) {
                try await client.download(HTTPRequest(url: url), to: fixture.path("blob"))
            }
            #expect(downloaded.code == .truncated)

            let streamed = try await #require(throws: HTTPError.self) {
                let response = try await client.stream(HTTPRequest(url: url))
                for try await _ in response.body {}
            }
            #expect(streamed.code == .truncated)
        }
    }

    @Test func aClosedPortCannotConnect() async throws {
        let error = try await #require(throws: HTTPError.self) {
            try await HTTPClient().execute(HTTPRequest(url: "http://127.0.0.1:1/"))
        }
        #expect(error.code == .couldNotConnect)
        #expect(error.curlCode == 7)
        #expect(error.message.hasSuffix("(Connection refused)"))
    }

    @Test func trustsOnlyTheGivenCABundle() async throws {
        let openssl = try #require(CommandRunner.which("openssl"), "openssl makes the test certificate (ci/install)")
        let certificates = try TemporaryDirectory("prewarm-http-tls")
        defer { certificates.remove() }
        let certificate = "\(certificates.path)/cert.pem"
        let key = "\(certificates.path)/key.pem"
        let made = try await CommandRunner.run(
            openssl,
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate,
            ])
        try #require(made.status == 0, "\(made.stderr)")
        try await withHTTPFixture(arguments: ["--tls-cert", certificate, "--tls-key", key]) { fixture in
            let url = "\(fixture.server.baseURL(scheme: "https"))/ping"
            let trusted = HTTPClient(configuration: .init(caBundlePath: certificate))
            #expect(try await trusted.execute(HTTPRequest(url: url)).body.text == "OK")

            let error = try await #require(throws: HTTPError.self) {
                try await HTTPClient().execute(HTTPRequest(url: url))
            }
            #expect(error.code == .tls)
        }
    }
}

private func gateStatus(_ fixture: HTTPFixture, _ gate: String, _ client: HTTPClient) async throws -> [String: Any] {
    try await client.execute(HTTPRequest(url: "\(fixture.base)/gate-status?id=\(gate)")).body.json()
}

private func holdState(_ fixture: HTTPFixture, _ id: String, _ client: HTTPClient) async throws -> String {
    let response = try await client.execute(HTTPRequest(url: "\(fixture.base)/hold-status?id=\(id)"))
    return try response.body.json()["state"] as? String ?? ""
}
