import Foundation

/// Removes secrets from URLs before they appear in a message, a log line or an error.
///
/// Pre-signed S3 URLs carry their credentials in the query string (`X-Amz-Signature`,
/// `X-Amz-Credential`, `X-Amz-Security-Token`, `Signature`, `AWSAccessKeyId`, …) and some URLs carry
/// `user:password@`. Neither may reach a terminal, a journal or a CI log.
public enum URLRedaction {
    /// What a secret is replaced with.
    public static let placeholder = "REDACTED"

    /// `url` with its user information, the values of secret-looking query parameters and its fragment
    /// replaced by ``placeholder``. Everything else, including the parameter names, is kept as written,
    /// so that the message still says which object was asked for. Works on text that is not a valid URL too.
    public static func redact(_ url: String) -> String {
        let parts = URLParts(url)
        var result = String(parts.scheme)
        if parts.userInfo != nil { result += placeholder + "@" }
        result += parts.hostAndPath
        if let query = parts.query {
            let items = query.split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
                guard let equals = item.firstIndex(of: "=") else { return String(item) }
                let name = item[..<equals]
                return isSecretParameter(String(name)) ? "\(name)=\(placeholder)" : String(item)
            }
            result += "?" + items.joined(separator: "&")
        }
        if parts.fragment != nil { result += "#" + placeholder }
        return result
    }

    /// `text` with every secret of `url` (user information, secret query values, raw and percent-decoded)
    /// replaced by ``placeholder``: for messages that come from elsewhere, such as a server's error body.
    public static func scrub(_ text: String, secretsOf url: String) -> String {
        var text = text
        for secret in secrets(in: url).sorted(by: { $0.count > $1.count }) {
            text = text.replacingOccurrences(of: secret, with: placeholder)
        }
        return text
    }

    /// Whether the value of the query parameter `name` is treated as a secret: names that contain
    /// `signature`, `credential`, `token`, `secret`, `password`, `passwd`, `auth`, `session` or `accesskey`,
    /// and the names `sig`, `key`, `apikey`, `api_key` and `code`.
    static func isSecretParameter(_ name: String) -> Bool {
        let name = (name.removingPercentEncoding ?? name).lowercased()
        return secretNames.contains(name) || secretNameParts.contains { name.contains($0) }
    }

    private static let secretNameParts = [
        "signature", "credential", "token", "secret", "password", "passwd", "auth", "session", "accesskey",
    ]
    private static let secretNames: Set<String> = ["sig", "key", "apikey", "api_key", "code"]

    /// The secret substrings of `url`, at least 4 characters long.
    static func secrets(in url: String) -> [String] {
        let parts = URLParts(url)
        var found: [String] = []
        func add(_ value: Substring) {
            let raw = String(value)
            found.append(raw)
            if let decoded = raw.removingPercentEncoding { found.append(decoded) }
        }
        if let userInfo = parts.userInfo {
            add(userInfo)
            userInfo.split(separator: ":").forEach(add)
        }
        if let fragment = parts.fragment { add(fragment) }
        for item in (parts.query ?? "").split(separator: "&") {
            guard let equals = item.firstIndex(of: "="), isSecretParameter(String(item[..<equals])) else {
                continue
            }
            let value = item[item.index(after: equals)...]
            add(value)
            // An access key id is the first part of a credential: AKIA…/20250101/us-east-1/s3/aws4_request.
            let decoded = String(value).removingPercentEncoding ?? String(value)
            if let keyID = decoded.split(separator: "/").first { add(keyID) }
        }
        return Array(Set(found.filter { $0.count >= 4 }))
    }
}

/// A URL cut into the pieces redaction cares about, without validating it.
private struct URLParts {
    /// `https://`, or empty when the text has no scheme.
    var scheme: Substring = ""
    var userInfo: Substring?
    var hostAndPath: Substring = ""
    var query: Substring?
    var fragment: Substring?

    init(_ url: String) {
        var rest = Substring(url)
        if let hash = rest.firstIndex(of: "#") {
            fragment = rest[rest.index(after: hash)...]
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        if let separator = rest.range(of: "://") {
            scheme = rest[..<separator.upperBound]
            rest = rest[separator.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                userInfo = rest[..<at]
                rest = rest[rest.index(after: at)...]
            }
        }
        hostAndPath = rest
    }
}
