import Foundation

/// An AWS access key pair, and the session token of temporary credentials.
///
/// `description` names only where the credentials came from and the last four characters of the access key
/// ID: never the secret access key or the session token.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The access key ID (`AKIA…`, `ASIA…` for temporary credentials).
    public var accessKeyID: String
    /// The secret access key. Never print it.
    public var secretAccessKey: String
    /// The session token of temporary credentials; `nil` for long-term keys. Never print it.
    public var sessionToken: String?
    /// Where the credentials were found, for messages: `environment variables` or `profile 'x' in FILE`.
    public var source: String
    /// When temporary credentials stop working (from STS, the SSO portal or a `credential_process`); `nil`
    /// when not known.
    public var expiration: Date?

    public init(
        accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, source: String = "code",
        expiration: Date? = nil
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.source = source
        self.expiration = expiration
    }

    public var description: String {
        let suffix = accessKeyID.count > 8 ? "…" + accessKeyID.suffix(4) : "…"
        let kind = sessionToken == nil ? "" : " with a session token"
        return "AWS credentials \(suffix)\(kind) from \(source)"
    }

    public var debugDescription: String { description }
}
