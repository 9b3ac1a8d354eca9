import Foundation
import PrewarmHTTP
import PrewarmTestKit
import Testing

@Suite struct HTTPClientTests {
    @Test func getsASmallBodyWithStatusAndHeaders() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let response = try await client.execute(HTTPRequest(url: "\(fixture.base)/bytes/1000"))
            #expect(response.status == 200)
            #expect(response.isSuccess)
            #expect(response.body == Pattern.bytes(0..<1000))
            #expect(response.headers["content-length"] == "1000")
            #expect(response.headers["Content-Type"] == "application/octet-stream")
        }
    }

    @Test func sendsHeaderFieldsAndMemoryBodies() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let headers = try await client.execute(
                HTTPRequest(url: "\(fixture.base)/headers", headers: ["X-Custom": "value 1", "X-Empty": ""])
            ).body.json()
            #expect(headers["X-Custom"] as? String == "value 1")
            #expect(headers["X-Empty"] as? String == "")
            #expect(headers["User-Agent"] as? String == "prewarm")

            let echo = try await client.execute(
                HTTPRequest(
                    method: .post, url: "\(fixture.base)/echo", headers: ["Content-Type": "application/json"],
                    body: .text("{\"a\":1}")))
            #expect(echo.body.text == "{\"a\":1}")
            #expect(echo.headers["X-Request-Method"] == "POST")
            #expect(echo.headers["X-Request-Content-Type"] == "application/json")

            let empty = try await client.execute(HTTPRequest(method: .post, url: "\(fixture.base)/echo"))
            #expect(empty.status == 200)
            #expect(empty.body.isEmpty)
            #expect(empty.headers["X-Request-Content-Type"] == "")
        }
    }

    @Test func aServerErrorIsAResponseUntilSuccessIsRequired() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let response = try await client.execute(HTTPRequest(url: "\(fixture.base)/status/500"))
            #expect(response.status == 500)
            #expect(!response.isSuccess)
            let error = try #require(throws: HTTPError.self) { try response.requireSuccess() }
            #expect(error.code == .status(500))
            #expect(error.status == 500)
            #expect(error.message.contains("GET \(fixture.base)/status/500"))
            #expect(error.message.contains("500 Internal Server Error: the fixture answers 500 as asked"))
        }
    }

    @Test func headRequestsHaveNoBody() async throws {
        try await withHTTPFixture { fixture in
            let response = try await HTTPClient().execute(
                HTTPRequest(method: .head, url: "\(fixture.base)/bytes/5000"))
            #expect(response.status == 200)
            #expect(response.headers["Content-Length"] == "5000")
            #expect(response.body.isEmpty)
        }
    }

    @Test func followsRedirects() async throws {
        try await withHTTPFixture { fixture in
            let target = "\(fixture.base)/bytes/10"
            let response = try await HTTPClient().execute(HTTPRequest(url: "\(fixture.base)/redirect?to=\(target)"))
            #expect(response.status == 200)
            #expect(response.body == Pattern.bytes(0..<10))

            let unfollowed = try await HTTPClient(configuration: .init(followRedirects: false)).execute(
                HTTPRequest(url: "\(fixture.base)/redirect?to=\(target)"))
            #expect(unfollowed.status == 302)
            #expect(unfollowed.headers["Location"] == target)
        }
    }

    @Test func talksToAUnixSocket() async throws {
        try await withHTTPFixture(unixSocket: true) { fixture in
            let client = HTTPClient(configuration: .init(transport: .unixSocket(fixture.socketPath)))
            let ping = try await client.execute(HTTPRequest(url: "http://localhost/ping")).requireSuccess()
            #expect(ping.body.text == "OK")

            let download = try await client.download(
                HTTPRequest(url: "http://localhost/bytes/300000"), to: fixture.path("blob"))
            let file = try download.requireSuccess()
            #expect(file.byteCount == 300_000)
            #expect(file.sha256 == Pattern.sha256(count: 300_000))
        }
    }

    @Test func aMissingUnixSocketCannotConnect() async throws {
        let directory = try TemporaryDirectory("prewarm-http")
        defer { directory.remove() }
        let socket = "\(directory.path)/nobody.sock"
        let client = HTTPClient(configuration: .init(transport: .unixSocket(socket)))
        let error = try await #require(throws: HTTPError.self) {
            try await client.execute(HTTPRequest(url: "http://localhost/v1.45/_ping"))
        }
        #expect(error.code == .couldNotConnect)
        #expect(
            error.message
                == "GET http://localhost/v1.45/_ping via unix socket \(socket): could not connect: cannot connect to "
                + "the unix socket \(socket): No such file or directory; is the daemon running and listening there?")
        #expect(!error.message.contains("\n"))
    }

    @Test func fiftyConcurrentRequestsCompleteWithoutHoldingTheCooperativePool() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let finished = Counter()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let response = try await client.execute(
                            HTTPRequest(url: "\(fixture.base)/delay?ms=1000&n=\(index)"))
                        finished.increment()
                        return response.status
                    }
                }
                // With 50 requests in flight and a cooperative pool of a few threads, other tasks must still
                // run at once: if a request held a pool thread while it waited, this would wait for them.
                let runningBeforeAnyFinished = await Task.detached { finished.value == 0 }.value
                #expect(runningBeforeAnyFinished)
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                #expect(statuses.count == 50)
                #expect(statuses.allSatisfy { $0 == 200 })
            }
        }
    }

    @Test func aBufferedBodyHasALimit() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient(configuration: .init(maxBufferedBodySize: 100_000))
            let error = try await #require(throws: HTTPError.self) {
                try await client.execute(HTTPRequest(url: "\(fixture.base)/bytes/1000000"))
            }
            #expect(error.code == .responseTooLarge)
        }
    }

    @Test func malformedRequestsAreRefused() async throws {
        let client = HTTPClient()
        let header = try await #require(throws: HTTPError.self) {
            try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/", headers: ["X-Bad": "a\r\nInjected: 1"]))
        }
        #expect(header.code == .invalidRequest)
        let scheme = try await #require(throws: HTTPError.self) {
            try await client.execute(HTTPRequest(url: "file:///etc/passwd"))
        }
        #expect(scheme.code == .invalidRequest)
    }
}

/// A count shared by tasks.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
