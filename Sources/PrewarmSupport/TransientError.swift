/// An error that knows whether the same work, done again a little later, may succeed: a lost
/// connection, a timeout, a 5xx or 429 answer, a busy engine — as opposed to a refused build, a
/// missing base image or bad input, which fail the same way every time.
///
/// prewarm retries every failure at one layer only, never at two on top of each other:
/// - requests that can be repeated as they are — to registries, to Lambda, layer downloads
///   (resumed with `Range`) — are retried by their client's `RetryPolicy` (PrewarmHTTP); what
///   such a client throws after its last attempt is **not** transient, since it was retried already;
/// - requests to a Docker engine (`POST /build`, `POST /images/load`, …) are not repeated by the
///   HTTP layer: a transient failure reaches the scheduler (PrewarmRun), which does the whole node
///   again, `--retries` times, with the same `RetryPolicy`'s backoff.
public protocol TransientError: Error {
    /// Whether trying again later may succeed, and no layer below has retried it already.
    var isTransient: Bool { get }
}

extension Error {
    /// Whether this error is worth another try: what it says when it is a ``TransientError``, and
    /// `false` for every other error, `CancellationError` included.
    public var isWorthRetrying: Bool {
        (self as? any TransientError)?.isTransient ?? false
    }
}
