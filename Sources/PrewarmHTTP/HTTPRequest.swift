import Foundation

/// An HTTP method, such as `GET` or `POST`.
public struct HTTPMethod: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public static let get = HTTPMethod(rawValue: "GET")
    public static let head = HTTPMethod(rawValue: "HEAD")
    public static let post = HTTPMethod(rawValue: "POST")
    public static let put = HTTPMethod(rawValue: "PUT")
    public static let patch = HTTPMethod(rawValue: "PATCH")
    public static let delete = HTTPMethod(rawValue: "DELETE")

    public var description: String { rawValue }
}

/// What a request sends as its body: bytes in memory, or a file read as it is sent.
public struct HTTPRequestBody: Sendable, Hashable {
    enum Source: Sendable, Hashable {
        case bytes(Data)
        case file(path: String)
    }

    let source: Source

    /// A body held in memory; meant for small bodies such as JSON documents.
    public static func bytes(_ data: Data) -> HTTPRequestBody {
        HTTPRequestBody(source: .bytes(data))
    }

    /// A body of UTF-8 text held in memory.
    public static func text(_ text: String) -> HTTPRequestBody {
        HTTPRequestBody(source: .bytes(Data(text.utf8)))
    }

    /// The whole content of the file at `path`, read in small pieces while it is sent, never all at once.
    ///
    /// The file's size at the start of the transfer is sent as `Content-Length`. A file that cannot be
    /// opened, or that shrinks while it is sent, fails the request with ``HTTPError/Code/bodyRead``.
    public static func file(path: String) -> HTTPRequestBody {
        HTTPRequestBody(source: .file(path: path))
    }
}

/// When a request gives up.
///
/// A `nil` limit means none. A request that runs out of time throws ``HTTPError/Code/timedOut``.
public struct HTTPTimeouts: Sendable, Hashable {
    /// A transfer that moves fewer than `bytesPerSecond` bytes a second for `duration` is stalled.
    public struct Stall: Sendable, Hashable {
        public var bytesPerSecond: Int
        /// Rounded up to whole seconds, at least one (libcurl's resolution).
        public var duration: Duration

        public init(bytesPerSecond: Int = 1, duration: Duration) {
            self.bytesPerSecond = bytesPerSecond
            self.duration = duration
        }
    }

    /// How long to wait for the connection (TCP and TLS, or the unix socket) to be established.
    public var connect: Duration?
    /// How long the whole request may take, from start to the last byte of the response.
    public var total: Duration?
    /// When to give up on a transfer that has stalled.
    public var stall: Stall?

    public init(
        connect: Duration? = .seconds(30), total: Duration? = nil, stall: Stall? = Stall(duration: .seconds(60))
    ) {
        self.connect = connect
        self.total = total
        self.stall = stall
    }

    /// 30 seconds to connect, no limit on the whole, and a stall after 60 seconds below 1 byte a second.
    public static let `default` = HTTPTimeouts()
}

/// One HTTP request: method, URL, header fields, and an optional body.
public struct HTTPRequest: Sendable, Hashable {
    /// `GET` unless said otherwise.
    public var method: HTTPMethod
    /// An `http` or `https` URL. With a unix-socket client, the host part only names the `Host` header
    /// (Docker's convention is `http://localhost/v1.45/_ping`).
    public var url: String
    /// Fields sent as given, after libcurl's own (`Host`, `User-Agent`, `Content-Length`, …); a field of the
    /// same name replaces libcurl's. A name or value with a line break throws ``HTTPError/Code/invalidRequest``.
    public var headers: HTTPHeaders
    /// What to send; `nil` sends no body (an empty one for `POST` and `PUT`).
    public var body: HTTPRequestBody?
    /// Overrides the client's timeouts for this request; `nil` uses the client's.
    public var timeouts: HTTPTimeouts?

    public init(
        method: HTTPMethod = .get,
        url: String,
        headers: HTTPHeaders = HTTPHeaders(),
        body: HTTPRequestBody? = nil,
        timeouts: HTTPTimeouts? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }
}
