import Foundation

/// A response whose body was held in memory.
///
/// A status other than 2xx is still a response: call ``requireSuccess()`` to turn it into an error.
public struct HTTPResponse: Sendable {
    /// The status of the final response, after any redirects.
    public var status: Int
    /// The header fields of the final response.
    public var headers: HTTPHeaders
    /// The whole body; empty when there was none.
    public var body: Data
    let request: RequestSummary

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// This response when its status is 2xx.
    ///
    /// - Throws: ``HTTPError`` with code ``HTTPError/Code/status(_:)`` otherwise; its message carries the
    ///   server's explanation from the body (Docker's and registries' JSON `message`, S3's XML
    ///   `Code` and `Message`), with the URL's secrets scrubbed.
    @discardableResult
    public func requireSuccess() throws -> HTTPResponse {
        guard isSuccess else { throw HTTPError.status(status, body: body, request: request) }
        return self
    }
}

/// The result of ``HTTPClient/download(_:to:resumingAt:)``.
public struct HTTPDownload: Sendable {
    /// The status of the final response: 200, or 206 when a resume was honoured, on success. A resume
    /// past the end of the resource gets 416; its `Content-Range: bytes */SIZE` tells whether the file is
    /// already whole.
    public var status: Int
    /// The header fields of the final response.
    public var headers: HTTPHeaders
    /// The file that was written; `nil` when the status was not 2xx, in which case the file was not touched.
    public var file: DownloadedFile?
    /// The body of a response that was not 2xx (its first 64 KiB); empty for a 2xx response.
    public var errorBody: Data
    let request: RequestSummary

    /// Whether the status is 2xx.
    public var isSuccess: Bool { file != nil }

    /// The downloaded file when the status was 2xx.
    ///
    /// - Throws: ``HTTPError`` with code ``HTTPError/Code/status(_:)`` otherwise.
    public func requireSuccess() throws -> DownloadedFile {
        guard let file else { throw HTTPError.status(status, body: errorBody, request: request) }
        return file
    }
}

/// A file written by a download, with the digest of its whole content.
public struct DownloadedFile: Sendable, Hashable {
    /// Where the file was written, as given.
    public var path: String
    /// The size of the whole file, including a resumed prefix.
    public var byteCount: Int64
    /// The SHA-256 of the whole file, including a resumed prefix, as 64 lowercase hexadecimal digits.
    public var sha256: String
    /// Where this transfer started writing: the resume offset when the server honoured the `Range`
    /// request (206), 0 when it sent the whole body again (200) or none was asked for.
    public var resumedAt: Int64
}

/// A response whose body arrives as it is received; returned as soon as the header fields are in.
public struct HTTPStreamingResponse: Sendable {
    /// The status of the final response, after any redirects.
    public var status: Int
    /// The header fields of the final response.
    public var headers: HTTPHeaders
    /// The body, chunk by chunk. Dropping it, or cancelling the task that reads it, aborts the transfer.
    public var body: HTTPBody
    let request: RequestSummary

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// This response when its status is 2xx.
    ///
    /// - Throws: ``HTTPError`` with code ``HTTPError/Code/status(_:)`` otherwise, after reading at most
    ///   64 KiB of the body for the server's explanation; or the error that ended the body early.
    @discardableResult
    public func requireSuccess() async throws -> HTTPStreamingResponse {
        guard !isSuccess else { return self }
        var collected = Data()
        for try await chunk in body {
            collected.append(chunk.prefix(HTTPError.errorBodyLimit - collected.count))
            if collected.count >= HTTPError.errorBodyLimit { break }
        }
        throw HTTPError.status(status, body: collected, request: request)
    }
}

extension HTTPError {
    /// How much of an error response's body is kept.
    static let errorBodyLimit = 64 * 1024

    /// The error for a response with a status that is not 2xx.
    static func status(_ status: Int, body: Data, request: RequestSummary) -> HTTPError {
        let explanation = serverExplanation(in: body)
        var detail = "the server answered \(status)"
        if let reason = reasonPhrases[status] { detail += " \(reason)" }
        if !explanation.isEmpty { detail += ": \(explanation)" }
        return HTTPError(.status(status), detail, request: request)
    }

    /// A short explanation from an error body: a JSON `message` (Docker), the first of `errors` (registries),
    /// S3's XML `Code` and `Message`, or the start of a text body. Empty when none can be found.
    static func serverExplanation(in body: Data) -> String {
        let limit = 300
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] {
            if let message = object["message"] as? String { return String(message.oneLine.prefix(limit)) }
            if let errors = object["errors"] as? [[String: Any]], let first = errors.first {
                let parts = [first["code"] as? String, first["message"] as? String].compactMap { $0 }
                return String(parts.joined(separator: ": ").oneLine.prefix(limit))
            }
        }
        guard let text = String(data: body, encoding: .utf8) else { return "" }
        if text.contains("<Error>") {
            let parts = ["Code", "Message"].compactMap { element(named: $0, in: text) }
            if !parts.isEmpty { return String(parts.joined(separator: ": ").oneLine.prefix(limit)) }
        }
        return String(text.oneLine.prefix(limit))
    }

    private static let reasonPhrases: [Int: String] = [
        400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
        408: "Request Timeout", 409: "Conflict", 410: "Gone", 412: "Precondition Failed", 413: "Content Too Large",
        416: "Range Not Satisfiable", 429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
        502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
    ]

    private static func element(named name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"),
            let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[start.upperBound..<end.lowerBound])
    }
}
