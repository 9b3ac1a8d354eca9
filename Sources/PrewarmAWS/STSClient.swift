import Crypto
import Foundation
import PrewarmHTTP
import PrewarmSupport

/// A client of AWS STS for `AssumeRole`, signed with SigV4 for the service `sts`.
///
/// The endpoint is ``AWSEnvironment``'s configured one for `STS`, else `https://sts.REGION.amazonaws.com`,
/// else (no region) the global `https://sts.amazonaws.com`, signed for `us-east-1`.
struct STSClient: Sendable {
    let http: HTTPClient
    let environment: AWSEnvironment

    /// `POST / Action=AssumeRole`: temporary credentials for `roleARN`, signed with `credentials`.
    ///
    /// - Throws: ``AWSError`` with code ``AWSError/Code/missingCredentials`` when STS refuses (its error code
    ///   and message, the role and the profile named) or cannot be reached, and
    ///   ``AWSError/Code/invalidResponse`` for an answer without credentials.
    func assumeRole(
        roleARN: String, sessionName: String, externalID: String?, durationSeconds: Int?,
        credentials: AWSCredentials, region: String?, profile: String, purpose: String, now: Date = Date()
    ) async throws -> AWSCredentials {
        let signingRegion = region ?? "us-east-1"
        let endpoint =
            try environment.configuredEndpoint(service: "STS")
            ?? (region.map { "https://sts.\($0).\(AWSEnvironment.domain(region: $0))" } ?? "https://sts.amazonaws.com")
        var parameters = [
            ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", sessionName),
        ]
        if let externalID { parameters.append(("ExternalId", externalID)) }
        if let durationSeconds { parameters.append(("DurationSeconds", String(durationSeconds))) }
        let body = Data(
            parameters.map { "\(SigV4Signer.uriEncode($0.0))=\(SigV4Signer.uriEncode($0.1))" }
                .joined(separator: "&").utf8)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")
        let request = HTTPRequest(method: .post, url: endpoint + "/", headers: headers, body: .bytes(body))
        let signer = SigV4Signer(credentials: credentials, region: signingRegion, service: "sts")
        let subject = "assume role \(roleARN) for AWS profile '\(profile)'\(purpose)"
        let response: HTTPResponse
        do {
            let signed = try signer.sign(request, payloadSHA256: Hex.string(SHA256.hash(data: body)), date: now)
            response = try await http.execute(signed)
        } catch let error as HTTPError {
            throw AWSError(.missingCredentials, "cannot \(subject): STS at \(endpoint) failed: \(error.message)")
        }
        let text = String(decoding: response.body, as: UTF8.self)
        guard response.isSuccess else {
            let code = XMLText.first("Code", in: text) ?? "HTTP \(response.status)"
            let message = XMLText.first("Message", in: text).map { ": \($0)" } ?? ""
            throw AWSError(
                .missingCredentials,
                "cannot \(subject): STS answered \(code)\(message); check the role's trust policy and "
                    + "the credentials of its source_profile (\(credentials.source))")
        }
        guard let keyID = XMLText.first("AccessKeyId", in: text),
            let secret = XMLText.first("SecretAccessKey", in: text),
            let token = XMLText.first("SessionToken", in: text)
        else {
            throw AWSError(.invalidResponse, "cannot \(subject): STS's answer holds no Credentials")
        }
        return AWSCredentials(
            accessKeyID: keyID, secretAccessKey: secret, sessionToken: token,
            source: "role \(roleARN) of profile '\(profile)' (assumed with \(credentials.source))",
            expiration: XMLText.first("Expiration", in: text).flatMap(AWSDate.parse))
    }
}

/// The text of elements in AWS's XML answers, which have no attributes or mixed content where read:
/// enough for STS without an XML parser (Foundation's needs libxml2, which the release binary does not
/// link).
enum XMLText {
    /// The unescaped text of the first `<name>…</name>` in `document`, or `nil`.
    static func first(_ name: String, in document: String) -> String? {
        guard let open = document.range(of: "<\(name)>"),
            let close = document.range(of: "</\(name)>", range: open.upperBound..<document.endIndex)
        else { return nil }
        return String(document[open.upperBound..<close.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
