import Foundation

/// When to try a failed request again, how often, and how long to wait in between.
///
/// Waits grow exponentially from `initialDelay` by `multiplier` up to `maxDelay`, and the last `jitter`
/// fraction of each wait is random, so that many clients failing together do not retry together.
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
    /// Statuses (from ``HTTPError/Code/status(_:)`` errors) worth another try.
    public var transientStatuses: Set<Int>
    /// Failures worth another try.
    public var transientCodes: Set<HTTPError.Code>

    public init(
        maxAttempts: Int = 4,
        initialDelay: Duration = .milliseconds(250),
        maxDelay: Duration = .seconds(10),
        multiplier: Double = 2,
        jitter: Double = 0.5,
        transientStatuses: Set<Int> = [408, 425, 429, 500, 502, 503, 504],
        transientCodes: Set<HTTPError.Code> = [.couldNotConnect, .timedOut, .truncated, .transport]
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
    /// in `transientStatuses`. Never a `CancellationError` or any other error.
    public func isTransient(_ error: any Error) -> Bool {
        guard let error = error as? HTTPError else { return false }
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
        var attempt = 1
        while true {
            do {
                return try await operation(attempt)
            } catch {
                guard attempt < maxAttempts, isTransient(error) else { throw error }
                try await Task.sleep(for: delay(beforeRetry: attempt, random: Double.random(in: 0...1)))
                attempt += 1
            }
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
