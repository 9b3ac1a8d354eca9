import Crypto
import Foundation
import PrewarmHTTP
import PrewarmSupport

/// Signs requests with AWS Signature Version 4 (`AWS4-HMAC-SHA256`, in the `Authorization` header).
///
/// The canonical request follows the published algorithm, as botocore implements it: the path is
/// normalized (dot segments and repeated slashes removed) and URI-encoded once more for every service but
/// S3, whose path is signed as sent (only characters that should have been encoded are); the query is decoded and re-encoded (RFC 3986) and sorted by name, then
/// value; every header field is signed except `User-Agent`, `Expect`, `X-Amzn-Trace-Id` and `Authorization`,
/// by its lowercased name with its values trimmed, their inner runs of white space made one space, and
/// repeated fields joined by commas. `X-Amz-Date`, `Host` and, for temporary credentials,
/// `X-Amz-Security-Token` are added and signed.
///
/// ```swift
/// let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "lambda")
/// let signed = try signer.sign(HTTPRequest(url: "https://lambda.us-east-1.amazonaws.com/2018-10-31/layers"))
/// ```
public struct SigV4Signer: Sendable {
    /// Who signs.
    public var credentials: AWSCredentials
    /// The region of the credential scope.
    public var region: String
    /// The service of the credential scope, such as `lambda` or `s3`.
    public var service: String
    /// Whether the path is normalized and encoded again before signing: true for every service but S3.
    public var normalizesPath: Bool

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.normalizesPath = service != "s3"
    }

    /// Header fields that are never signed: a proxy or the HTTP client may change them.
    static let unsignedFields: Set<String> = ["user-agent", "expect", "x-amzn-trace-id", "authorization"]

    /// `request` with `Host`, `X-Amz-Date`, `X-Amz-Security-Token` (for temporary credentials),
    /// `X-Amz-Content-SHA256` (when `includeContentSHA256` is true) and `Authorization` set.
    ///
    /// - Parameters:
    ///   - payloadSHA256: the lowercase hex SHA-256 of the request's body, or `UNSIGNED-PAYLOAD`; `nil` for
    ///     a request without a body.
    ///   - date: the signing time; AWS refuses a signature more than 5 minutes away from its clock.
    ///   - includeContentSHA256: whether to send the payload's hash in `X-Amz-Content-SHA256` (S3 needs it).
    /// - Throws: ``AWSError`` with code ``AWSError/Code/requestFailed`` when the URL has no host, or when the
    ///   request has a body and `payloadSHA256` is `nil`.
    public func sign(
        _ request: HTTPRequest, payloadSHA256: String? = nil, date: Date = Date(), includeContentSHA256: Bool = false
    ) throws -> HTTPRequest {
        guard request.body == nil || payloadSHA256 != nil else {
            throw AWSError(
                .requestFailed,
                "cannot sign \(request.method) \(URLRedaction.redact(request.url)): it has a body but no payloadSHA256")
        }
        let payload = payloadSHA256 ?? Self.emptyPayloadSHA256
        var fields = request.headers.map { ($0.name, $0.value) }
        if includeContentSHA256 {
            fields.removeAll { $0.0.lowercased() == "x-amz-content-sha256" }
            fields.append(("X-Amz-Content-SHA256", payload))
        }
        let result = try signature(
            method: request.method.rawValue, url: request.url, headers: fields, payloadSHA256: payload, date: date)
        var signed = request
        for (name, value) in result.addedHeaders {
            signed.headers.replaceOrAdd(name: name, value: value)
        }
        if includeContentSHA256 { signed.headers.replaceOrAdd(name: "X-Amz-Content-SHA256", value: payload) }
        signed.headers.replaceOrAdd(name: "Authorization", value: result.authorization)
        return signed
    }

    /// The signature of a request given by its parts, with every intermediate step.
    ///
    /// - Parameters:
    ///   - url: the URL as it will be sent (its path and query already percent-encoded where needed).
    ///   - headers: the header fields to send, in order; a `Host` field overrides the URL's host.
    ///   - payloadSHA256: the lowercase hex SHA-256 of the body (of nothing for no body), or
    ///     `UNSIGNED-PAYLOAD`.
    /// - Throws: ``AWSError`` with code ``AWSError/Code/requestFailed`` when the URL has no host.
    public func signature(
        method: String, url: String, headers: [(String, String)], payloadSHA256: String, date: Date
    ) throws -> SigV4Signature {
        let parts = SigV4URL(url)
        let timestamp = Self.timestamp(date)
        let day = String(timestamp.prefix(8))
        var added: [(String, String)] = []
        var fields = headers.filter { !Self.unsignedFields.contains($0.0.lowercased()) }
        fields.removeAll { ["x-amz-date", "x-amz-security-token"].contains($0.0.lowercased()) }
        if !fields.contains(where: { $0.0.lowercased() == "host" }) {
            guard !parts.host.isEmpty else {
                throw AWSError(
                    .requestFailed, "cannot sign a request for '\(URLRedaction.redact(url))': it has no host")
            }
            fields.append(("Host", parts.host))
            added.append(("Host", parts.host))
        }
        fields.append(("X-Amz-Date", timestamp))
        added.append(("X-Amz-Date", timestamp))
        if let token = credentials.sessionToken {
            fields.append(("X-Amz-Security-Token", token))
            added.append(("X-Amz-Security-Token", token))
        }
        var byName: [String: [String]] = [:]
        for (name, value) in fields {
            byName[name.lowercased(), default: []].append(Self.trimAll(value))
        }
        let names = byName.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonicalHeaders = names.map { "\($0):\(byName[$0, default: []].joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let canonicalRequest = [
            method.uppercased(),
            canonicalPath(parts.path),
            Self.canonicalQuery(parts.query),
            canonicalHeaders,
            signedHeaders,
            payloadSHA256,
        ].joined(separator: "\n")
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", timestamp, scope, Hex.string(SHA256.hash(data: Data(canonicalRequest.utf8))),
        ].joined(separator: "\n")
        let signature = Hex.string(
            HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(day: day)))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return SigV4Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signedHeaders: signedHeaders,
            signature: signature, authorization: authorization, addedHeaders: added)
    }

    /// The key derived from the secret for `day` (`YYYYMMDD`), the region and the service.
    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }
}

/// A signature with the steps that led to it, for tests and for explaining a mismatch.
public struct SigV4Signature: Sendable {
    /// The canonical request, whose SHA-256 is signed.
    public var canonicalRequest: String
    /// What the signing key signs: algorithm, time, scope, and the hash of the canonical request.
    public var stringToSign: String
    /// The signed header names, lowercased, sorted, separated by `;`.
    public var signedHeaders: String
    /// The signature, 64 lowercase hex digits.
    public var signature: String
    /// The value of the `Authorization` field.
    public var authorization: String
    /// The fields the signer added to the request, which must be sent as given (`Host` when the request had
    /// none, `X-Amz-Date`, `X-Amz-Security-Token`).
    public var addedHeaders: [(String, String)]
}
