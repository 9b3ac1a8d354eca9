import Foundation
import Logging

/// An asynchronous HTTP client over libcurl, for TCP (http and https) or a unix socket.
///
/// Each client runs one libcurl multi handle on a thread of its own; requests are handed to that thread and
/// the calling task is suspended, never blocked, until its transfer ends. Many concurrent requests therefore
/// cost no threads of Swift's cooperative pool. Create one client per endpoint kind (one for the Docker
/// socket, one for the network) and share it; it stops its thread when released, after the transfers it
/// still has.
///
/// A response with any status is returned as a response; call `requireSuccess()` on it to throw for a
/// status other than 2xx. Failures throw ``HTTPError``; cancelling the calling task aborts the transfer and
/// throws `CancellationError`.
///
/// ```swift
/// let docker = HTTPClient(configuration: .init(transport: .unixSocket("/var/run/docker.sock")))
/// let ping = try await docker.execute(HTTPRequest(url: "http://localhost/v1.45/_ping")).requireSuccess()
/// ```
public final class HTTPClient: Sendable {
    /// How a client connects, and the defaults of its requests.
    public struct Configuration: Sendable {
        /// How to reach servers: TCP, or a unix socket.
        public struct Transport: Sendable, Hashable, CustomStringConvertible {
            /// The path of the unix socket; `nil` for TCP.
            public let unixSocketPath: String?

            /// Connect to the host and port of each URL, with TLS for https.
            public static let tcp = Transport(unixSocketPath: nil)

            /// Connect every request to the unix socket at `path`, whatever the URL's host
            /// (Docker's Engine API: `unixSocket("/var/run/docker.sock")` with `http://localhost/v1.45/…`).
            public static func unixSocket(_ path: String) -> Transport {
                Transport(unixSocketPath: path)
            }

            public var description: String {
                unixSocketPath.map { "unix://\($0)" } ?? "tcp"
            }
        }

        /// TCP unless said otherwise.
        public var transport: Transport
        /// A PEM file of the certificate authorities to trust for https; `nil` uses libcurl's default
        /// (the system's bundle).
        public var caBundlePath: String?
        /// A PEM file with the client certificate to present in TLS handshakes (Docker's `cert.pem`);
        /// `nil` presents none.
        public var clientCertificatePath: String?
        /// The PEM file of the client certificate's private key (Docker's `key.pem`); `nil` reads it from
        /// ``clientCertificatePath``.
        public var clientKeyPath: String?
        /// Whether to check the server's certificate and host name; `false` only where the user asked for
        /// it (Docker's `DOCKER_TLS` without `DOCKER_TLS_VERIFY`, a context with `SkipTLSVerify`).
        public var verifiesPeer: Bool
        /// The timeouts of requests that do not set their own.
        public var timeouts: HTTPTimeouts
        /// Whether to follow 3xx redirects (never to a scheme other than http and https, and never
        /// forwarding an `Authorization` field to another host).
        public var followRedirects: Bool
        /// How many redirects to follow before throwing ``HTTPError/Code/invalidResponse``.
        public var maxRedirects: Int
        /// The `User-Agent` field; `nil` sends none.
        public var userAgent: String?
        /// The largest body ``HTTPClient/execute(_:)`` holds in memory; a larger one throws
        /// ``HTTPError/Code/responseTooLarge``.
        public var maxBufferedBodySize: Int
        /// At most this many connections to one host at a time (more requests wait); `nil` for no limit.
        public var maxConnectionsPerHost: Int?

        public init(
            transport: Transport = .tcp,
            caBundlePath: String? = nil,
            clientCertificatePath: String? = nil,
            clientKeyPath: String? = nil,
            verifiesPeer: Bool = true,
            timeouts: HTTPTimeouts = .default,
            followRedirects: Bool = true,
            maxRedirects: Int = 10,
            userAgent: String? = "prewarm",
            maxBufferedBodySize: Int = 64 * 1024 * 1024,
            maxConnectionsPerHost: Int? = nil
        ) {
            self.transport = transport
            self.caBundlePath = caBundlePath
            self.clientCertificatePath = clientCertificatePath
            self.clientKeyPath = clientKeyPath
            self.verifiesPeer = verifiesPeer
            self.timeouts = timeouts
            self.followRedirects = followRedirects
            self.maxRedirects = maxRedirects
            self.userAgent = userAgent
            self.maxBufferedBodySize = maxBufferedBodySize
            self.maxConnectionsPerHost = maxConnectionsPerHost
        }
    }

    /// What the client was created with.
    public let configuration: Configuration
    private let loop: CurlMultiLoop

    /// A client with its own libcurl thread. Does not fail: if libcurl cannot be set up, each request
    /// throws an ``HTTPError`` that says so.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.loop = CurlMultiLoop(maxConnectionsPerHost: configuration.maxConnectionsPerHost)
    }

    deinit {
        loop.requestStop()
    }

    /// Sends `request` and returns the response with its whole body in memory.
    ///
    /// - Returns: the response, whatever its status.
    /// - Throws: ``HTTPError`` when the request could not be completed (including a body larger than
    ///   ``Configuration/maxBufferedBodySize``); `CancellationError` when the task was cancelled, which
    ///   aborts the transfer.
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        let summary = summarize(request)
        let sink = BufferSink(limit: configuration.maxBufferedBodySize, request: summary)
        let transfer = CurlTransfer(request: request, summary: summary, options: options(for: request), sink: sink)
        return try await run(transfer) { sink.continuation = $0 }
    }

    /// Sends `request` and writes a 2xx response body to the file at `path`, computing its SHA-256 as it
    /// arrives. Memory use does not grow with the size of the body.
    ///
    /// With `resumingAt` above 0, asks for the bytes from that offset on (`Range: bytes=N-`). When the
    /// server honours it (206 with a matching `Content-Range`), the file is cut to that length and the new
    /// bytes appended; the digest and byte count still cover the whole file. When it sends the whole body
    /// instead (200), the file is rewritten from the start. The file is created if needed; write it under
    /// a temporary name and rename it once its digest is checked, as the content store does.
    ///
    /// - Returns: the status and header fields, and the file's size and SHA-256 when the status was 2xx.
    ///   A response with another status leaves the file untouched and keeps the start of its body.
    /// - Throws: ``HTTPError`` when the transfer fails; the bytes written so far stay in the file, so a
    ///   retry can resume from its size. ``HTTPError/Code/truncated`` when the connection closed early;
    ///   ``HTTPError/Code/bodyWrite`` when the file cannot be written. `CancellationError` when the task was
    ///   cancelled.
    public func download(_ request: HTTPRequest, to path: String, resumingAt offset: Int64 = 0) async throws
        -> HTTPDownload
    {
        let summary = summarize(request)
        let sink = FileSink(path: path, resumeOffset: max(0, offset), request: summary)
        var options = options(for: request)
        options.rangeStart = max(0, offset)
        // Fewer, larger writes and digest updates than libcurl's 16 KiB (curl's own tool uses 100 KiB).
        options.receiveBufferSize = 512 * 1024
        let transfer = CurlTransfer(request: request, summary: summary, options: options, sink: sink)
        return try await run(transfer) { sink.continuation = $0 }
    }

    /// Sends `request` and returns as soon as the response's header fields have arrived; the body follows
    /// as an asynchronous sequence of chunks, each delivered as soon as it is received.
    ///
    /// Meant for long responses read as they come, such as Docker's build stream of newline-delimited
    /// JSON (see ``HTTPBody/lines``).
    ///
    /// - Returns: the status, header fields and body, whatever the status.
    /// - Throws: ``HTTPError`` when the request fails before the header fields arrive (failures after
    ///   that are thrown by the body's iteration); `CancellationError` when the task was cancelled.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let summary = summarize(request)
        let stream = BodyStream(request: summary)
        let sink = StreamSink(stream: stream)
        let transfer = CurlTransfer(request: request, summary: summary, options: options(for: request), sink: sink)
        stream.attach(TransferControl(loop: loop, transfer: transfer))
        return try await run(transfer) { sink.continuation = $0 }
    }

    /// What every client asks, at `debug` (`prewarm --debug`, `PREWARM_LOG=debug`): each request, where
    /// it went and how it ended, with secrets in URLs redacted.
    static let logger = Logger(label: "prewarm.http")

    private func run<Result>(
        _ transfer: CurlTransfer,
        attach: (CheckedContinuation<Result, any Error>) -> Void
    ) async throws -> Result {
        let control = TransferControl(loop: loop, transfer: transfer)
        let started = ContinuousClock.now
        Self.logger.debug("→ \(transfer.summary.where)")
        do {
            let result = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    attach(continuation)
                    loop.submit(.start(transfer))
                }
            } onCancel: {
                control.cancel()
            }
            let status = (result as? HTTPResponse).map { " \($0.status)" } ?? ""
            Self.logger.debug(
                "← \(transfer.summary.method) \(transfer.summary.redactedURL)\(status) in \(ContinuousClock.now - started)"
            )
            return result
        } catch {
            Self.logger.debug("✗ \(transfer.summary.method) \(transfer.summary.redactedURL): \(error)")
            throw error
        }
    }

    private func summarize(_ request: HTTPRequest) -> RequestSummary {
        RequestSummary(
            method: request.method, url: request.url, unixSocketPath: configuration.transport.unixSocketPath)
    }

    private func options(for request: HTTPRequest) -> TransferOptions {
        TransferOptions(
            unixSocketPath: configuration.transport.unixSocketPath,
            caBundlePath: configuration.caBundlePath,
            clientCertificatePath: configuration.clientCertificatePath,
            clientKeyPath: configuration.clientKeyPath,
            verifiesPeer: configuration.verifiesPeer,
            timeouts: request.timeouts ?? configuration.timeouts,
            followRedirects: configuration.followRedirects,
            maxRedirects: configuration.maxRedirects,
            userAgent: configuration.userAgent)
    }
}
