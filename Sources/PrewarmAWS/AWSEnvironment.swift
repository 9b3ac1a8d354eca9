import Foundation
import PrewarmHTTP
import PrewarmSupport

/// Where prewarm finds its AWS settings: the environment variables and the shared files of the AWS CLI.
///
/// Nothing is read from the process's own environment or home directory unless given: tests pass both.
///
/// - Credentials: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (with `AWS_SESSION_TOKEN`); otherwise the
///   profile `AWS_PROFILE` (else `AWS_DEFAULT_PROFILE`, else `default`): its `role_arn` + `source_profile`,
///   SSO settings, keys, or `credential_process` (see ``resolveCredentials(for:)``).
/// - Files: `AWS_SHARED_CREDENTIALS_FILE` (else `~/.aws/credentials`) and `AWS_CONFIG_FILE` (else
///   `~/.aws/config`).
/// - Region: a layer ARN's own region; otherwise `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`.
/// - Lambda endpoint: `AWS_ENDPOINT_URL_LAMBDA`, `AWS_ENDPOINT_URL`, the profile's `endpoint_url` (all three
///   ignored when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`), else `https://lambda.REGION.amazonaws.com`
///   (`amazonaws.com.cn` in the China regions).
/// - CA bundle: `AWS_CA_BUNDLE`, else the profile's `ca_bundle`.
/// - STS (for `role_arn` profiles) and the SSO portal: `AWS_ENDPOINT_URL_STS` / `AWS_ENDPOINT_URL_SSO`, then
///   as for Lambda, else `https://sts.REGION.amazonaws.com` / `https://portal.sso.REGION.amazonaws.com`.
public struct AWSEnvironment: Sendable {
    /// The environment variables, as given.
    public let variables: [String: String]
    /// The home directory that `~` stands for.
    public let homeDirectory: String

    /// Settings from `environment` and the files under `homeDirectory`.
    ///
    /// - Parameters:
    ///   - environment: the variables to read; the process's own by default.
    ///   - homeDirectory: what `~` means; `HOME` from `environment`, else the user's home, by default.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, homeDirectory: String? = nil
    ) {
        self.variables = environment
        self.homeDirectory = homeDirectory ?? environment["HOME"] ?? NSHomeDirectory()
    }

    /// The profile whose settings are read: `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`.
    public var profileName: String {
        variable("AWS_PROFILE") ?? variable("AWS_DEFAULT_PROFILE") ?? "default"
    }

    /// Whether the profile was chosen by a variable rather than by default.
    var profileIsExplicit: Bool {
        variable("AWS_PROFILE") != nil || variable("AWS_DEFAULT_PROFILE") != nil
    }

    /// The credentials file: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    public var credentialsFilePath: String {
        expand(variable("AWS_SHARED_CREDENTIALS_FILE") ?? "~/.aws/credentials")
    }

    /// The config file: `AWS_CONFIG_FILE`, else `~/.aws/config`.
    public var configFilePath: String {
        expand(variable("AWS_CONFIG_FILE") ?? "~/.aws/config")
    }

    /// The non-empty value of the environment variable `name`, or `nil`.
    func variable(_ name: String) -> String? {
        guard let value = variables[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// `path` with a leading `~` replaced by the home directory.
    func expand(_ path: String) -> String {
        if path == "~" { return homeDirectory }
        guard path.hasPrefix("~/") else { return path }
        return URL(fileURLWithPath: homeDirectory).appendingPathComponent(String(path.dropFirst(2))).path
    }

    /// The setting `key` of the chosen profile in the config file, or `nil`.
    ///
    /// - Throws: ``AWSError`` when the config file exists but cannot be read.
    func profileSetting(_ key: String) throws -> String? {
        try AWSConfigFile.load(configFilePath, kind: .config)?.value(key, profile: profileName)
    }
}

// MARK: - Region, endpoint, CA bundle

extension AWSEnvironment {
    /// The region when no layer ARN says otherwise: `AWS_REGION`, `AWS_DEFAULT_REGION`, else the profile's
    /// `region`; `nil` when none is set.
    ///
    /// - Throws: ``AWSError`` when the config file exists but cannot be read.
    public func defaultRegion() throws -> String? {
        if let region = variable("AWS_REGION") ?? variable("AWS_DEFAULT_REGION") { return region }
        return try profileSetting("region")
    }

    /// The region to call for `layer`: always the layer's own, since a layer version lives in its region
    /// (the environment's region is not consulted).
    public func region(for layer: LayerARN) -> String {
        layer.region
    }

    /// The base URL of the Lambda API for `region`, without a trailing `/`.
    ///
    /// - Throws: ``AWSError`` when the config file exists but cannot be read.
    public func lambdaEndpoint(region: String) throws -> String {
        if let configured = try configuredEndpoint(service: "LAMBDA") { return configured }
        return "https://lambda.\(region).\(Self.domain(region: region))"
    }

    /// The endpoint set for a service: `AWS_ENDPOINT_URL_<SERVICE>` (`LAMBDA`, `STS`, `SSO`),
    /// `AWS_ENDPOINT_URL`, the profile's `endpoint_url`, all ignored when
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`; without a trailing `/`. `nil` when none is set.
    ///
    /// - Throws: ``AWSError`` when the config file exists but cannot be read.
    func configuredEndpoint(service: String) throws -> String? {
        guard variable("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.lowercased() != "true",
            let configured = try variable("AWS_ENDPOINT_URL_\(service)") ?? variable("AWS_ENDPOINT_URL")
                ?? profileSetting("endpoint_url")
        else { return nil }
        return configured.hasSuffix("/") ? String(configured.dropLast()) : configured
    }

    /// `amazonaws.com`, or `amazonaws.com.cn` in the China regions.
    static func domain(region: String) -> String {
        region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
    }

    /// The PEM file of certificate authorities to trust: `AWS_CA_BUNDLE`, else the profile's `ca_bundle`
    /// (with `~` expanded); `nil` for the system's.
    ///
    /// - Throws: ``AWSError`` when the config file exists but cannot be read.
    public func caBundlePath() throws -> String? {
        try (variable("AWS_CA_BUNDLE") ?? profileSetting("ca_bundle")).map(expand)
    }

    /// `base` with ``caBundlePath()`` as its CA bundle when one is set.
    ///
    /// - Throws: ``AWSError`` when the config file exists but cannot be read.
    public func httpConfiguration(
        _ base: HTTPClient.Configuration = HTTPClient.Configuration()
    ) throws -> HTTPClient.Configuration {
        var configuration = base
        if let bundle = try caBundlePath() { configuration.caBundlePath = bundle }
        return configuration
    }
}
