import PrewarmSupport

/// Why a request failed.
///
/// `message` is one line that says what failed and where: the method, the URL with its secrets
/// redacted (see ``URLRedaction``), the unix socket when there is one, and libcurl's or the server's
/// explanation. Neither `message` nor `description` ever contains a query-string credential or user
/// information from the URL.
///
/// ``isTransient`` classifies the failure: a connection that could not be made or was lost, a timeout,
/// a truncated body, or one of the statuses ``transientStatuses`` may pass if the request is sent again;
/// every other failure (a TLS failure, an invalid request or response, a 4xx other than 408, 425 and 429,
/// a file that cannot be read or written) would fail the same way.
public struct HTTPError: TransientError, MessageError, CustomStringConvertible {
    /// What kind of failure this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: Sendable, Hashable {
            case invalidRequest, couldNotConnect, timedOut, tls
            case status(Int)
            case truncated, invalidResponse
            case transport, bodyRead, bodyWrite, responseTooLarge, cancelled
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The request cannot be sent as given: a malformed URL, a scheme other than http or https,
        /// or a header with a line break in it.
        public static let invalidRequest = Code(.invalidRequest)
        /// The host could not be resolved or did not accept the connection, or no one listens on the
        /// unix socket.
        public static let couldNotConnect = Code(.couldNotConnect)
        /// The connect timeout, the total timeout or the stall timeout fired (the message says which).
        public static let timedOut = Code(.timedOut)
        /// The TLS handshake failed: an untrusted or mismatched certificate, an unreadable CA bundle, …
        public static let tls = Code(.tls)
        /// The server answered with this status, and the caller asked for a successful one
        /// (see `requireSuccess()` on the responses).
        public static func status(_ status: Int) -> Code { Code(.status(status)) }
        /// The connection closed before the whole body, as announced by `Content-Length`, had arrived.
        public static let truncated = Code(.truncated)
        /// The server's answer breaks HTTP or the request's expectations (a `Content-Range` that does not
        /// start where asked, too many redirects, a malformed reply).
        public static let invalidResponse = Code(.invalidResponse)
        /// The connection failed while sending or receiving.
        public static let transport = Code(.transport)
        /// The request body could not be read (its file is missing, unreadable or shrank).
        public static let bodyRead = Code(.bodyRead)
        /// The response body could not be written to its destination (a full disk, a missing folder).
        public static let bodyWrite = Code(.bodyWrite)
        /// A response body to be held in memory was larger than the client allows.
        public static let responseTooLarge = Code(.responseTooLarge)
        /// The client stopped before the transfer finished. (A cancelled Swift task throws
        /// `CancellationError` instead.)
        public static let cancelled = Code(.cancelled)

        /// The status of a ``status(_:)`` code; `nil` for the other codes.
        public var status: Int? {
            if case .status(let status) = value { return status }
            return nil
        }

        /// The codes of failures worth another try, besides statuses: ``couldNotConnect``, ``timedOut``,
        /// ``truncated`` and ``transport``.
        public static let transient: Set<Code> = [.couldNotConnect, .timedOut, .truncated, .transport]

        /// Whether this is one of ``transient``, or a ``status(_:)`` in ``HTTPError/transientStatuses``.
        public var isTransient: Bool {
            if let status { return HTTPError.isTransient(status: status) }
            return Self.transient.contains(self)
        }

        public var description: String {
            switch value {
            case .invalidRequest: "invalid request"
            case .couldNotConnect: "could not connect"
            case .timedOut: "timed out"
            case .tls: "TLS failure"
            case .status(let status): "status \(status)"
            case .truncated: "truncated body"
            case .invalidResponse: "invalid response"
            case .transport: "connection failure"
            case .bodyRead: "could not read the request body"
            case .bodyWrite: "could not write the response body"
            case .responseTooLarge: "response too large"
            case .cancelled: "cancelled"
            }
        }
    }

    /// What kind of failure this is.
    public var code: Code
    /// One line: what failed, where, and why.
    public var message: String
    /// The request's method.
    public var method: HTTPMethod
    /// The request's URL with its secrets redacted.
    public var redactedURL: String
    /// libcurl's error number (`CURLcode`) when the failure came from libcurl; `nil` otherwise.
    public var curlCode: Int?

    /// The status of a ``Code/status(_:)`` error; `nil` for the other codes.
    public var status: Int? { code.status }

    /// Statuses that say "try again later": 408 (request timeout), 425 (too early), 429 (too many
    /// requests), 500, 502, 503 and 504. Other 5xx (501 not implemented, 505 version not supported, …)
    /// and every other 4xx would be answered the same way again.
    public static let transientStatuses: Set<Int> = [408, 425, 429, 500, 502, 503, 504]

    /// Whether an answer with `status` is worth sending the request again for (``transientStatuses``).
    public static func isTransient(status: Int) -> Bool {
        transientStatuses.contains(status)
    }

    /// Whether sending the request again may succeed (``Code/isTransient``).
    public var isTransient: Bool { code.isTransient }

    public var description: String { message }
    /// ``message``: no input of a build is named in it.
    public var line: Message { Message(message) }

    /// An error about `request`. `detail` may come from elsewhere (libcurl, a server's body): it is made
    /// one line and the URL's secrets are scrubbed from it.
    init(_ code: Code, _ detail: String, request: RequestSummary, curlCode: Int? = nil) {
        self.code = code
        self.method = request.method
        self.redactedURL = request.redactedURL
        self.curlCode = curlCode
        let detail = URLRedaction.scrub(detail.oneLine, secretsOf: request.url)
        self.message = "\(request.where): \(code): \(detail)"
    }
}

/// Which request an error or a response belongs to, for messages.
struct RequestSummary: Sendable, Hashable {
    var method: HTTPMethod
    /// The URL as given, secrets and all: never print it.
    var url: String
    var redactedURL: String
    var unixSocketPath: String?

    init(method: HTTPMethod, url: String, unixSocketPath: String?) {
        self.method = method
        self.url = url
        self.redactedURL = URLRedaction.redact(url)
        self.unixSocketPath = unixSocketPath
    }

    /// `GET http://localhost/_ping via unix socket /var/run/docker.sock`
    var `where`: String {
        let via = unixSocketPath.map { " via unix socket \($0)" } ?? ""
        return "\(method) \(redactedURL)\(via)"
    }
}

extension String {
    /// The text on one line, with runs of white space (line breaks included) made one space.
    var oneLine: String {
        split(whereSeparator: { $0.isWhitespace || $0.isNewline }).joined(separator: " ")
    }
}
