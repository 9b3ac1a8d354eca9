import CCurl
import Foundation
import PrewarmSupport

// How a transfer's end becomes an `HTTPError`.
extension CurlTransfer {
    /// The error of a transfer that libcurl ended with `code` (not `CURLE_OK`).
    func error(for code: CURLcode) -> HTTPError {
        let buffered = String(cString: errorBuffer)
        var detail = buffered.isEmpty ? String(cString: curl_easy_strerror(code)) : buffered
        let kind: HTTPError.Code
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            kind = .invalidRequest
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT:
            kind = .couldNotConnect
            let systemError = osErrno()
            let reason = systemError == 0 ? nil : systemErrorMessage(systemError)
            if let path = options.unixSocketPath {
                // libcurl's own text names "localhost port 80", which is not where it tried.
                detail = "cannot connect to the unix socket \(path): \(reason ?? detail)"
                switch systemError {
                case ENOENT, ECONNREFUSED: detail += "; is the daemon running and listening there?"
                case EACCES: detail += "; is this user allowed to use the socket?"
                default: break
                }
            } else if let reason {
                detail += " (\(reason))"
            }
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED:
            kind = .tls
            detail += "; check the CA bundle and the server's certificate"
        case CURLE_PARTIAL_FILE:
            kind = .truncated
        case CURLE_TOO_MANY_REDIRECTS, CURLE_WEIRD_SERVER_REPLY, CURLE_BAD_CONTENT_ENCODING, CURLE_RANGE_ERROR:
            kind = .invalidResponse
        case CURLE_WRITE_ERROR:
            kind = .bodyWrite
        case CURLE_READ_ERROR, CURLE_ABORTED_BY_CALLBACK:
            kind = .bodyRead
        default:
            kind = .transport
        }
        return HTTPError(kind, detail, request: summary, curlCode: code)
    }
}

extension HTTPError {
    init(_ code: Code, _ detail: String, request: RequestSummary, curlCode: CURLcode) {
        self.init(code, detail, request: request, curlCode: Int(curlCode.rawValue))
    }
}
