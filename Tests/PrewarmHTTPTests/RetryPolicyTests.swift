import Foundation
import PrewarmHTTP
import Testing

@Suite struct RetryPolicyTests {
    @Test func delaysGrowExponentiallyWithinTheirJitterAndCap() {
        let policy = RetryPolicy(
            maxAttempts: 6, initialDelay: .milliseconds(100), maxDelay: .seconds(1), multiplier: 2, jitter: 0.5)
        #expect(policy.delay(beforeRetry: 1, random: 1) == .milliseconds(100))
        #expect(policy.delay(beforeRetry: 1, random: 0) == .milliseconds(50))
        #expect(policy.delay(beforeRetry: 2, random: 1) == .milliseconds(200))
        #expect(policy.delay(beforeRetry: 3, random: 1) == .milliseconds(400))
        #expect(policy.delay(beforeRetry: 5, random: 1) == .seconds(1))
        #expect(policy.delay(beforeRetry: 5, random: 0) == .milliseconds(500))
    }

    @Test func retriesOnlyTransientFailures() async throws {
        let policy = RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(1), maxDelay: .milliseconds(1))
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let attempts = Counter()
            let error = try await #require(throws: HTTPError.self) {
                try await policy.run { _ in
                    attempts.increment()
                    return try await client.execute(HTTPRequest(url: "\(fixture.base)/status/503")).requireSuccess()
                }
            }
            #expect(error.status == 503)
            #expect(attempts.value == 3)

            let notFound = Counter()
            await #expect(throws: HTTPError.self) {
                try await policy.run { _ in
                    notFound.increment()
                    return try await client.execute(HTTPRequest(url: "\(fixture.base)/status/404")).requireSuccess()
                }
            }
            #expect(notFound.value == 1)

            let answer = try await policy.run { attempt -> Int in
                if attempt < 2 { throw try #require(try? await refused(client)) }
                return attempt
            }
            #expect(answer == 2)
        }
    }

    @Test func classifiesErrors() async throws {
        let policy = RetryPolicy.default
        #expect(policy.isTransient(try #require(try? await refused(HTTPClient()))))
        #expect(!policy.isTransient(CancellationError()))
        #expect(!RetryPolicy(transientCodes: []).isTransient(try #require(try? await refused(HTTPClient()))))
        #expect(RetryPolicy.never.maxAttempts == 1)
    }
}

/// The error of a request to a closed port.
private func refused(_ client: HTTPClient) async throws -> HTTPError? {
    do {
        _ = try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/"))
        return nil
    } catch let error as HTTPError {
        return error
    }
}
