import Foundation
import PrewarmSupport
import Testing

@testable import PrewarmHTTP

/// Which failures are worth another try (`HTTPError.isTransient`), on errors the client really throws and
/// on every code.
@Suite struct HTTPErrorTransienceTests {
    /// One fixture server for all the cases, since the HTTP tests each start their own at once.
    @Test func realFailuresAreClassified() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let refused = try await #require(throws: HTTPError.self) {
                try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/"))
            }
            #expect(refused.code == .couldNotConnect)
            #expect(refused.isTransient)

            let slow = HTTPRequest(
                url: "\(fixture.base)/delay?ms=5000", timeouts: HTTPTimeouts(total: .milliseconds(200)))
            let timedOut = try await #require(throws: HTTPError.self) { try await client.execute(slow) }
            #expect(timedOut.code == .timedOut)
            #expect(timedOut.isTransient)

            let truncated = try await #require(throws: HTTPError.self) {
                try await client.execute(HTTPRequest(url: "\(fixture.base)/truncated?length=100000&send=1000"))
            }
            #expect(truncated.code == .truncated)
            #expect(truncated.isTransient)
            #expect((truncated as any Error).isWorthRetrying, "through TransientError too")

            // Statuses that say "try later", and refusals that would be answered the same way again.
            for (status, transient) in [408, 425, 429, 500, 502, 503, 504].map({ ($0, true) })
                + [400, 401, 403, 404, 409, 413, 422, 501, 505].map({ ($0, false) })
            {
                let error = try await #require(throws: HTTPError.self) {
                    try await client.execute(HTTPRequest(url: "\(fixture.base)/status/\(status)")).requireSuccess()
                }
                #expect(error.status == status)
                #expect(error.isTransient == transient, "\(status)")
                #expect(RetryPolicy.default.isTransient(error) == transient, "\(status)")
            }
        }
    }

    @Test func badRequestsAndUnreadableBodiesAreNotTransient() async throws {
        let client = HTTPClient()
        let invalid = try await #require(throws: HTTPError.self) {
            try await client.execute(HTTPRequest(url: "gopher://127.0.0.1/"))
        }
        #expect(invalid.code == .invalidRequest)
        #expect(!invalid.isTransient)

        let missing = try await #require(throws: HTTPError.self) {
            try await client.execute(
                HTTPRequest(method: .post, url: "http://127.0.0.1:1/", body: .file(path: "/nonexistent/body.tar")))
        }
        #expect(missing.code == .bodyRead)
        #expect(!missing.isTransient)
    }

    @Test func everyCodeIsClassified() {
        let request = RequestSummary(method: .post, url: "http://localhost/build", unixSocketPath: "/run/docker.sock")
        let transient: [HTTPError.Code] = [.couldNotConnect, .timedOut, .truncated, .transport]
        let permanent: [HTTPError.Code] = [
            .invalidRequest, .tls, .invalidResponse, .bodyRead, .bodyWrite, .responseTooLarge, .cancelled,
        ]
        for code in transient {
            #expect(HTTPError(code, "lost", request: request).isTransient, "\(code)")
        }
        for code in permanent {
            #expect(!HTTPError(code, "refused", request: request).isTransient, "\(code)")
        }
        #expect(Set(transient) == HTTPError.Code.transient)
        #expect(RetryPolicy.default.transientCodes == HTTPError.Code.transient, "one classification")
        #expect(RetryPolicy.default.transientStatuses == HTTPError.transientStatuses, "one classification")
    }

    @Test func otherErrorsSayForThemselves() {
        #expect(!(CancellationError() as any Error).isWorthRetrying)
        #expect(!RetryPolicy.default.isTransient(CancellationError()))
        #expect(!(EngineFailure(isTransient: false) as any Error).isWorthRetrying)
        let lost = EngineFailure(isTransient: true)
        #expect((lost as any Error).isWorthRetrying)
        #expect(RetryPolicy.default.isTransient(lost))
    }
}

/// An error of a module above this one that says for itself whether it is transient, as an engine's
/// `EngineError` does (PrewarmImage; its own test: EngineErrorTests).
private struct EngineFailure: TransientError {
    var isTransient: Bool
}
