import CCurl
import Foundation
import PrewarmSupport

/// The settings of one transfer: the client's configuration with the request's overrides.
struct TransferOptions: Sendable {
    var unixSocketPath: String?
    var caBundlePath: String?
    var clientCertificatePath: String?
    var clientKeyPath: String?
    var verifiesPeer: Bool = true
    var timeouts: HTTPTimeouts
    var followRedirects: Bool
    var maxRedirects: Int
    var userAgent: String?
    /// Sent as `Range: bytes=N-` when above 0.
    var rangeStart: Int64 = 0
    /// libcurl's receive buffer (`CURLOPT_BUFFERSIZE`); `nil` keeps its default of 16 KiB.
    var receiveBufferSize: Int?
}

/// The status and header fields of the final response (not of a redirect or a `100 Continue`).
struct ResponseHead: Sendable {
    var status: Int
    var headers: HTTPHeaders
}

/// What a sink did with a piece of the body.
enum SinkWrite {
    case accepted
    /// Not taken: libcurl pauses the transfer and offers the same bytes again after a resume.
    case pause
    case fail(any Error)
}

/// Where a response goes: memory, a file, or a stream. Called on the client's thread only, except for
/// setting the continuation before the transfer is submitted.
protocol ResponseSink: AnyObject {
    /// The final header fields have arrived; an error returned aborts the transfer.
    func receivedHead(_ head: ResponseHead) -> (any Error)?
    /// A piece of the body, valid during the call only.
    func write(_ bytes: UnsafeRawBufferPointer) -> SinkWrite
    /// The transfer ended; called exactly once, after the easy handle was cleaned up.
    func finish(_ result: Result<ResponseHead, any Error>)
}

/// One request on the loop's thread: its easy handle, the libcurl callbacks, and the sink its response
/// goes to. Apart from the cancellation flag, everything is touched on the loop's thread only.
final class CurlTransfer: @unchecked Sendable {
    let request: HTTPRequest
    let summary: RequestSummary
    let options: TransferOptions
    private let sink: any ResponseSink
    private let cancelFlag = Locked(false)

    // The loop's thread only.
    private(set) var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    let errorBuffer: UnsafeMutablePointer<CChar>
    private var bodySource: RequestBodySource?
    private var pendingHeaders = HTTPHeaders()
    private var head: ResponseHead?
    /// Whether the last header block that began has ended with its blank line.
    private var headerBlockEnded = false
    private var callbackFailure: (any Error)?
    private var finished = false

    init(request: HTTPRequest, summary: RequestSummary, options: TransferOptions, sink: any ResponseSink) {
        self.request = request
        self.summary = summary
        self.options = options
        self.sink = sink
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        cleanup()
        errorBuffer.deallocate()
    }

    /// Marks the transfer as cancelled, for the loop to see even before it starts.
    func requestCancel() {
        cancelFlag.withLock { $0 = true }
    }

    var isCancelRequested: Bool {
        cancelFlag.withLock { $0 }
    }

    // MARK: Setting up

    /// Creates the easy handle and sets every option.
    ///
    /// - Throws: ``HTTPError`` when an option is refused, a header is malformed or the body cannot be opened.
    func prepare() throws -> UnsafeMutableRawPointer {
        guard let easy = curl_easy_init() else {
            throw HTTPError(.transport, "libcurl could not create a handle", request: summary)
        }
        self.easy = easy
        let userdata = Unmanaged.passUnretained(self).toOpaque()

        try set(ccurl_easy_setopt_string(easy, CURLOPT_URL, request.url), "the URL")
        try set(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer), "the error buffer")
        try set(ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "no signals")
        try set(ccurl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"), "the protocols")
        try set(ccurl_easy_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"), "the redirect protocols")
        try set(ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1), "TCP keep-alive")
        if let path = options.unixSocketPath {
            try set(ccurl_easy_setopt_string(easy, CURLOPT_UNIX_SOCKET_PATH, path), "the unix socket")
        }
        if let path = options.caBundlePath {
            try set(ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, path), "the CA bundle")
        }
        if let path = options.clientCertificatePath {
            try set(ccurl_easy_setopt_string(easy, CURLOPT_SSLCERT, path), "the client certificate")
        }
        if let path = options.clientKeyPath {
            try set(ccurl_easy_setopt_string(easy, CURLOPT_SSLKEY, path), "the client key")
        }
        if !options.verifiesPeer {
            try set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0), "no peer verification")
            try set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0), "no host verification")
        }
        if options.followRedirects {
            try set(ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 1), "redirects")
            try set(ccurl_easy_setopt_long(easy, CURLOPT_MAXREDIRS, options.maxRedirects), "the redirect limit")
        }
        if let userAgent = options.userAgent {
            try set(ccurl_easy_setopt_string(easy, CURLOPT_USERAGENT, userAgent), "the user agent")
        }
        if let size = options.receiveBufferSize {
            try set(ccurl_easy_setopt_long(easy, CURLOPT_BUFFERSIZE, size), "the receive buffer size")
        }
        try setTimeouts(easy)
        let sendsBody = try setMethodAndBody(easy, userdata: userdata)
        try setHeaders(easy, sendsBody: sendsBody)

        try set(
            ccurl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION) { buffer, size, count, userdata in
                guard let buffer, let userdata else { return 0 }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
                return transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: buffer, count: size * count))
            }, "the header callback")
        try set(ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, userdata), "the header callback's data")
        try set(
            ccurl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { buffer, size, count, userdata in
                guard let buffer, let userdata else { return 0 }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
                return transfer.receiveBody(UnsafeRawBufferPointer(start: buffer, count: size * count))
            }, "the write callback")
        try set(ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, userdata), "the write callback's data")
        return easy
    }

    private func setTimeouts(_ easy: UnsafeMutableRawPointer) throws {
        let timeouts = options.timeouts
        if let connect = timeouts.connect {
            try set(ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, connect.curlMilliseconds), "the timeout")
        }
        if let total = timeouts.total {
            try set(ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, total.curlMilliseconds), "the timeout")
        }
        if let stall = timeouts.stall {
            try set(ccurl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, max(1, stall.bytesPerSecond)), "the timeout")
            try set(ccurl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, stall.duration.curlSeconds), "the timeout")
        }
    }

    /// Sets the method and, for methods that send one, the body and its read callback. Returns whether a body
    /// is sent.
    private func setMethodAndBody(_ easy: UnsafeMutableRawPointer, userdata: UnsafeMutableRawPointer) throws -> Bool {
        let method = request.method
        let sendsBody = request.body != nil || method == .post || method == .put
        guard sendsBody else {
            switch method {
            case .get: try set(ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1), "the method")
            case .head: try set(ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, 1), "the method")
            default: try set(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method.rawValue), "the method")
            }
            return false
        }
        let source = try RequestBodySource(request.body, request: summary)
        bodySource = source
        if method == .post {
            try set(ccurl_easy_setopt_long(easy, CURLOPT_POST, 1), "the method")
            try set(
                ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(source.length)), "the body size")
        } else {
            try set(ccurl_easy_setopt_long(easy, CURLOPT_UPLOAD, 1), "the method")
            try set(ccurl_easy_setopt_off_t(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(source.length)), "the body size")
            if method != .put {
                try set(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method.rawValue), "the method")
            }
        }
        try set(
            ccurl_easy_setopt_data_callback(easy, CURLOPT_READFUNCTION) { buffer, size, count, userdata in
                guard let buffer, let userdata else { return Int(CURL_READFUNC_ABORT) }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
                return transfer.sendBody(UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
            }, "the read callback")
        try set(ccurl_easy_setopt_pointer(easy, CURLOPT_READDATA, userdata), "the read callback's data")
        try set(
            ccurl_easy_setopt_seek_callback(easy, CURLOPT_SEEKFUNCTION) { userdata, offset, origin in
                guard let userdata, origin == SEEK_SET else { return CURL_SEEKFUNC_CANTSEEK }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
                return transfer.bodySource?.seek(to: Int64(offset)) == true ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL
            }, "the seek callback")
        try set(ccurl_easy_setopt_pointer(easy, CURLOPT_SEEKDATA, userdata), "the seek callback's data")
        return true
    }

    private func setHeaders(_ easy: UnsafeMutableRawPointer, sendsBody: Bool) throws {
        var lines: [String] = []
        for field in request.headers {
            let breaksLine = (field.name + field.value).unicodeScalars.contains {
                $0 == "\r" || $0 == "\n" || $0 == "\0"
            }
            let badName = field.name.unicodeScalars.contains { $0 == ":" || $0 == ";" || $0 == " " || $0 == "\t" }
            guard !field.name.isEmpty, !breaksLine, !badName else {
                throw HTTPError(
                    .invalidRequest, "the header field \(field.name.debugDescription) is malformed", request: summary)
            }
            // "Name:" would remove the header; "Name;" sends it with an empty value.
            lines.append(field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)")
        }
        if sendsBody {
            // Do not wait for "100 Continue" (a second's delay with servers that never send it).
            if request.headers["Expect"] == nil { lines.append("Expect:") }
            // libcurl would otherwise label every POST as a form.
            if request.headers["Content-Type"] == nil { lines.append("Content-Type:") }
        }
        if options.rangeStart > 0 { lines.append("Range: bytes=\(options.rangeStart)-") }
        for line in lines {
            guard let list = curl_slist_append(headerList, line) else {
                throw HTTPError(.transport, "libcurl could not store the header fields", request: summary)
            }
            headerList = list
        }
        if let headerList {
            try set(ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList), "the header fields")
        }
    }

    private func set(_ code: CURLcode, _ what: String) throws {
        guard code != CURLE_OK else { return }
        let reason = String(cString: curl_easy_strerror(code))
        throw HTTPError(.invalidRequest, "libcurl refused \(what): \(reason)", request: summary, curlCode: code)
    }

    // MARK: Callbacks (the loop's thread)

    private func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard head == nil else { return bytes.count }  // trailers after a chunked body
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
        if line.hasPrefix("HTTP/") {
            pendingHeaders = HTTPHeaders()
            headerBlockEnded = false
        } else if line.isEmpty {
            headerBlockEnded = true
            // The end of a header block: the response's unless libcurl goes on to another one.
            let status = responseCode()
            let followed =
                options.followRedirects && (300..<400).contains(status) && pendingHeaders["Location"] != nil
            if status >= 200, !followed, let failure = deliverHead() {
                callbackFailure = failure
                return 0
            }
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            pendingHeaders.add(name: name, value: value)
        }
        return bytes.count
    }

    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if head == nil, let failure = deliverHead() {
            callbackFailure = failure
            return 0
        }
        switch sink.write(bytes) {
        case .accepted:
            return bytes.count
        case .pause:
            return Int(CURL_WRITEFUNC_PAUSE)
        case .fail(let failure):
            callbackFailure = failure
            return 0
        }
    }

    private func sendBody(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let bodySource else { return 0 }
        switch bodySource.read(into: buffer) {
        case .success(let count):
            return count
        case .failure(let failure):
            callbackFailure = failure
            return Int(CURL_READFUNC_ABORT)
        }
    }

    /// Hands the final status and header fields to the sink, once.
    private func deliverHead() -> (any Error)? {
        let head = ResponseHead(status: responseCode(), headers: pendingHeaders)
        self.head = head
        return sink.receivedHead(head)
    }

    /// The system's error number of the last connection failure; 0 when none.
    func osErrno() -> Int32 {
        guard let easy else { return 0 }
        var number = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_OS_ERRNO, &number)
        return Int32(truncatingIfNeeded: number)
    }

    private func responseCode() -> Int {
        guard let easy else { return 0 }
        var code = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    // MARK: Ending

    /// Ends a transfer that libcurl finished with `code`, after its handle left the multi handle.
    ///
    /// libcurl reports success for a response that ends inside its header block (a status line and some
    /// fields, then the connection closes, with no blank line): that is a connection lost before the answer
    /// was whole, so it ends as ``HTTPError/Code/truncated`` (transient), never as an answer with no body.
    func complete(_ code: CURLcode) {
        if callbackFailure == nil, code == CURLE_OK, head == nil {
            callbackFailure =
                headerBlockEnded
                ? deliverHead()
                : HTTPError(
                    .truncated, "the connection closed before the end of the response's header fields",
                    request: summary)
        }
        if let callbackFailure {
            finish(.failure(callbackFailure))
        } else if code != CURLE_OK {
            finish(.failure(error(for: code)))
        } else if let head {
            finish(.success(head))
        }
    }

    /// Releases libcurl's resources and hands the result to the sink; only the first call counts.
    func finish(_ result: Result<ResponseHead, any Error>) {
        guard !finished else { return }
        finished = true
        cleanup()
        sink.finish(result)
    }

    private func cleanup() {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        bodySource?.close()
        bodySource = nil
    }
}
