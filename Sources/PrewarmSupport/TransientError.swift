/// An error that knows whether the same work, done again a little later, may succeed: a lost
/// connection, a timeout, a 5xx or 429 answer, a busy engine — as opposed to a refused build, a
/// missing base image or bad input, which fail the same way every time.
///
/// prewarm retries every failure at one layer only, never at two on top of each other:
/// - requests that can be sent again as they are — to registries, to Lambda, layer downloads
///   (resumed with `Range`) — are retried by their client under a `RetryPolicy` (PrewarmHTTP),
///   which asks `HTTPError.isTransient`. Once its attempts are spent the client throws an error of
///   its own that is **not** transient (a `RegistryError` `.registry` or a `LayerStoreError` `.download`, an
///   `AWSError`, which does not adopt this protocol), so nothing above retries it again;
/// - requests to a Docker engine (`POST /build`, `POST /images/load`, …) are sent once: a transient
///   failure becomes an `EngineError` whose ``isTransient`` is `true` (or stays the transient
///   `HTTPError`, when the answer's body breaks off), and the scheduler (PrewarmRun) does the whole
///   node again, `--retries` times, under a `RetryPolicy` of its own.
public protocol TransientError: Error {
    /// Whether doing the same work again may succeed. An error that sums up attempts already retried
    /// says `false`.
    var isTransient: Bool { get }
}

extension Error {
    /// Whether this error is worth another try: what it says when it is a ``TransientError``, and
    /// `false` for every other error, `CancellationError` included.
    public var isWorthRetrying: Bool {
        (self as? any TransientError)?.isTransient ?? false
    }
}
