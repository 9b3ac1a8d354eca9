import Foundation
import PrewarmSupport

/// When to try failed work again, how often, and how long to wait in between: the one retry policy of
/// prewarm, for single requests and for whole nodes of a build.
///
/// Waits grow exponentially from `initialDelay` by `multiplier` up to `maxDelay`, and the last `jitter`
/// fraction of each wait is random, so that many clients failing together do not retry together.
///
/// Which layer retries what (see `TransientError` in PrewarmSupport): the registry client, the Lambda
/// client and the layer cache's downloads run each request under a policy of their own (``default``),
/// since those requests can be sent again as they are (a download resumes with `Range`); what they throw
/// after the last attempt is their own error and not transient, so nothing above retries it again. Requests
/// to a Docker engine are not retried here: the scheduler runs the whole node under a policy made from
/// `--retries`, which retries the engine's lost connections, timeouts and 5xx/429 answers.
///
/// ```swift
/// let response = try await RetryPolicy.default.run { _ in
///     try await client.execute(request).requireSuccess()
/// }
/// ```
public struct RetryPolicy: Sendable, Hashable {
    /// How many times to try in all, the first included; 1 means never retry.
    public var maxAttempts: Int
    /// The wait before the first retry, before jitter.
    public var initialDelay: Duration
    /// The longest wait, before jitter.
    public var maxDelay: Duration
    /// How much each wait grows over the previous one.
    public var multiplier: Double
    /// The random fraction of each wait, from 0 (none) to 1 (anywhere between 0 and the full wait).
    public var jitter: Double
    /// Statuses (from ``HTTPError/Code/status(_:)`` errors) worth another try; by default
    /// ``HTTPError/transientStatuses``.
    public var transientStatuses: Set<Int>
    /// Failures worth another try; by default ``HTTPError/Code/transient``.
    public var transientCodes: Set<HTTPError.Code>

    public init(
        maxAttempts: Int = 4,
        initialDelay: Duration = .milliseconds(250),
        maxDelay: Duration = .seconds(10),
        multiplier: Double = 2,
        jitter: Double = 0.5,
        transientStatuses: Set<Int> = HTTPError.transientStatuses,
        transientCodes: Set<HTTPError.Code> = HTTPError.Code.transient
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = min(1, max(0, jitter))
        self.transientStatuses = transientStatuses
        self.transientCodes = transientCodes
    }

    /// Four attempts, waiting about 0.25 s, 0.5 s and 1 s, for connection failures, timeouts, truncated
    /// bodies, and statuses 408, 425, 429, 500, 502, 503 and 504.
    public static let `default` = RetryPolicy()

    /// One attempt, no retry.
    public static let never = RetryPolicy(maxAttempts: 1)

    /// Whether `error` is worth another try: an ``HTTPError`` with one of `transientCodes`, or with a status
    /// in `transientStatuses`; any other error that says so as a `TransientError`. Never a `CancellationError`.
    public func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? HTTPError else { return error.isWorthRetrying }
        if let status = error.status { return transientStatuses.contains(status) }
        return transientCodes.contains(error.code)
    }

    /// The wait before retry number `retry` (1 before the second attempt), for a `random` number in 0...1.
    public func delay(beforeRetry retry: Int, random: Double) -> Duration {
        let exponent = Double(max(0, retry - 1))
        let base = min(initialDelay.seconds * pow(multiplier, exponent), maxDelay.seconds)
        let random = min(1, max(0, random))
        return .seconds(base * (1 - jitter) + base * jitter * random)
    }

    /// Runs `operation` until it returns, throws an error that is not transient, or has been tried
    /// `maxAttempts` times, waiting ``delay(beforeRetry:random:)`` between attempts. `operation` receives
    /// the attempt's number, from 1.
    ///
    /// - Returns: what the first successful attempt returned.
    /// - Throws: the last attempt's error; `CancellationError` if the task is cancelled while waiting.
    public func run<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ operation: (_ attempt: Int) async throws -> Result
    ) async throws -> Result {
        try await run(retryingWhen: isTransient, operation)
    }

    /// Runs `operation` as ``run(isolation:_:)`` does, retrying the errors `isTransient` accepts (instead of
    /// ``isTransient(_:)``'s), and calls `willRetry` with the failed attempt's number, its error and the wait
    /// before each retry.
    ///
    /// - Returns: what the first successful attempt returned.
    /// - Throws: the last attempt's error; `CancellationError` if the task is cancelled while waiting.
    public func run<Result>(
        isolation: isolated (any Actor)? = #isolation,
        retryingWhen isTransient: (any Error) -> Bool,
        willRetry: (_ attempt: Int, _ error: any Error, _ delay: Duration) -> Void = { _, _, _ in },
        _ operation: (_ attempt: Int) async throws -> Result
    ) async throws -> Result {
        var attempt = 1
        while true {
            do {
                return try await operation(attempt)
            } catch {
                guard attempt < maxAttempts, !(error is CancellationError), isTransient(error) else { throw error }
                let delay = delay(beforeRetry: attempt, random: Double.random(in: 0...1))
                willRetry(attempt, error, delay)
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }
}
