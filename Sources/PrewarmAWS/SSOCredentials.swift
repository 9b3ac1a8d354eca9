import Crypto
import Foundation
import PrewarmHTTP
import PrewarmSupport

/// The SSO settings of a profile, as the AWS CLI v2 reads them: `sso_session` naming an
/// `[sso-session NAME]` section (`sso_start_url`, `sso_region`), or the legacy `sso_start_url` and
/// `sso_region` in the profile itself; `sso_account_id` and `sso_role_name` in the profile.
struct SSOProfile: Sendable {
    let profile: String
    let startURL: String
    let region: String
    let accountID: String
    let roleName: String
    /// The `sso-session`'s name; `nil` for a legacy profile.
    let session: String?
    /// The AWS CLI's cached token for this session: `~/.aws/sso/cache/<SHA-1 of the session name, or of the
    /// start URL for a legacy profile>.json`.
    let tokenCachePath: String

    /// The SSO settings of `profile`; `nil` when it has none.
    ///
    /// - Throws: ``AWSError`` with code ``AWSError/Code/missingCredentials`` when they are incomplete (a
    ///   missing `[sso-session]` section, start URL, region, account or role).
    init?(profile: String, files: SharedFiles, environment: AWSEnvironment, purpose: String) throws {
        let config = files.config
        let sessionName = files.value("sso_session", profile: profile)?.value
        guard sessionName != nil || files.value("sso_start_url", profile: profile) != nil else { return nil }
        let advice =
            "complete it (aws configure sso --profile \(profile)), or run `eval \"$(aws configure "
            + "export-credentials --profile \(profile) --format env)\"`"
        func missing(_ what: String) -> AWSError {
            AWSError(.missingCredentials, "cannot use the SSO profile '\(profile)'\(purpose): \(what); \(advice)")
        }
        var startURL: String?
        var region: String?
        if let sessionName {
            guard let session = config?.ssoSessions[sessionName] else {
                throw missing("its sso_session '\(sessionName)' has no [sso-session \(sessionName)] section")
            }
            startURL = session["sso_start_url"].flatMap { $0.isEmpty ? nil : $0 }
            region = session["sso_region"].flatMap { $0.isEmpty ? nil : $0 }
        } else {
            startURL = files.value("sso_start_url", profile: profile)?.value
            region = files.value("sso_region", profile: profile)?.value
        }
        guard let startURL else { throw missing("it has no sso_start_url") }
        guard let region else { throw missing("it has no sso_region") }
        guard let accountID = files.value("sso_account_id", profile: profile)?.value else {
            throw missing("it has no sso_account_id")
        }
        guard let roleName = files.value("sso_role_name", profile: profile)?.value else {
            throw missing("it has no sso_role_name")
        }
        self.profile = profile
        self.startURL = startURL
        self.region = region
        self.accountID = accountID
        self.roleName = roleName
        self.session = sessionName
        let key = Hex.string(Insecure.SHA1.hash(data: Data((sessionName ?? startURL).utf8)))
        tokenCachePath = environment.expand("~/.aws/sso/cache/\(key).json")
    }

    /// How to log in again, for messages.
    var loginCommand: String {
        session.map { "aws sso login --sso-session \($0)" } ?? "aws sso login --profile \(profile)"
    }
}

/// The SSO portal, which trades the cached SSO token for a role's credentials: `GET
/// /federation/credentials?role_name=…&account_id=…` with the token in `x-amz-sso_bearer_token`.
struct SSOPortal: Sendable {
    let http: HTTPClient
    let environment: AWSEnvironment

    /// The role's credentials for `sso`.
    ///
    /// - Throws: ``AWSError`` with code ``AWSError/Code/missingCredentials`` (one line saying to run
    ///   `aws sso login`) when the token is not cached, has expired, or the portal refuses it; for other
    ///   failures of the portal, what failed.
    func credentials(for sso: SSOProfile, now: Date = Date()) async throws -> AWSCredentials {
        let subject = "the SSO profile '\(sso.profile)'"
        let login = "run `\(sso.loginCommand)`"
        guard let data = FileManager.default.contents(atPath: sso.tokenCachePath) else {
            throw AWSError(
                .missingCredentials,
                "no SSO token for \(subject): \(sso.tokenCachePath) does not exist (not logged in); \(login)")
        }
        guard let token = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let accessToken = token["accessToken"] as? String, !accessToken.isEmpty,
            let expiresText = token["expiresAt"] as? String, let expiresAt = AWSDate.parse(expiresText)
        else {
            throw AWSError(
                .missingCredentials,
                "the SSO token cache \(sso.tokenCachePath) of \(subject) has no accessToken or expiresAt; \(login)")
        }
        guard expiresAt > now else {
            throw AWSError(
                .missingCredentials, "the SSO session of \(subject) expired at \(AWSDate.format(expiresAt)); \(login)")
        }
        let endpoint =
            try environment.configuredEndpoint(service: "SSO")
            ?? "https://portal.sso.\(sso.region).\(AWSEnvironment.domain(region: sso.region))"
        let url =
            "\(endpoint)/federation/credentials?account_id=\(SigV4Signer.uriEncode(sso.accountID))"
            + "&role_name=\(SigV4Signer.uriEncode(sso.roleName))"
        var headers = HTTPHeaders()
        headers.add(name: "x-amz-sso_bearer_token", value: accessToken)
        let response: HTTPResponse
        do {
            response = try await http.execute(HTTPRequest(url: url, headers: headers))
        } catch let error as HTTPError {
            throw AWSError(
                .missingCredentials, "cannot get credentials for \(subject) from the SSO portal: \(error.message)")
        }
        if response.status == 401 || response.status == 403 {
            throw AWSError(
                .missingCredentials,
                "the SSO portal refused the token of \(subject) (HTTP \(response.status)): it has expired or "
                    + "was revoked, or role \(sso.roleName) in account \(sso.accountID) is not yours; \(login)")
        }
        guard response.isSuccess,
            let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any],
            let role = object["roleCredentials"] as? [String: Any],
            let keyID = role["accessKeyId"] as? String, let secret = role["secretAccessKey"] as? String
        else {
            throw AWSError(
                .missingCredentials,
                "cannot get credentials for \(subject) from the SSO portal at \(endpoint): HTTP \(response.status)")
        }
        let expiration = (role["expiration"] as? NSNumber).map {
            Date(timeIntervalSince1970: $0.doubleValue / 1000)
        }
        return AWSCredentials(
            accessKeyID: keyID, secretAccessKey: secret, sessionToken: role["sessionToken"] as? String,
            source: "SSO profile '\(sso.profile)' (role \(sso.roleName) in \(sso.accountID))", expiration: expiration)
    }
}
