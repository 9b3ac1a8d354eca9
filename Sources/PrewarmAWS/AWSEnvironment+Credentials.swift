import Foundation
import PrewarmHTTP

extension AWSEnvironment {
    /// The credentials to sign requests with, found as the AWS CLI finds them: the environment variables,
    /// else the chosen profile.
    ///
    /// A profile's credentials, first that applies (botocore's order): `role_arn` with `source_profile`
    /// (STS `AssumeRole`, signed with the source profile's credentials, which may themselves come from any
    /// of these); SSO (`sso_session` with its `[sso-session]` section, or the legacy `sso_start_url`), read
    /// from the AWS CLI's token cache `~/.aws/sso/cache` and exchanged at the SSO portal; keys in the
    /// credentials file; `credential_process`; keys in the config file. An expired SSO token is not
    /// refreshed: the error says to run `aws sso login`. `credential_source`, `web_identity_token_file` and
    /// `mfa_serial` are not supported, and say so.
    ///
    /// Call it before any work starts when a plan has layer ARNs, so that a missing credential fails at once.
    ///
    /// - Parameter layer: the layer ARN the credentials are needed for, named in the error when given.
    /// - Returns: the credentials, with ``AWSCredentials/source`` saying where they were found.
    /// - Throws: ``AWSError`` with code ``AWSError/Code/missingCredentials`` when none are found, or only half
    ///   of a key pair, or the profile's way to them cannot be used (an expired SSO token, a failing
    ///   `credential_process`, a refused `AssumeRole`); ``AWSError/Code/invalidConfiguration`` when
    ///   `AWS_PROFILE` names a profile that is in neither file, a `source_profile` loops, or a file cannot be
    ///   read. The message is one line: what was looked at and what to do.
    public func resolveCredentials(for layer: String? = nil) async throws -> AWSCredentials {
        let purpose = layer.map { " (needed to download layer \($0))" } ?? ""
        let keyID = variable("AWS_ACCESS_KEY_ID")
        let secret = variable("AWS_SECRET_ACCESS_KEY")
        switch (keyID, secret) {
        case (let keyID?, let secret?):
            return AWSCredentials(
                accessKeyID: keyID, secretAccessKey: secret, sessionToken: variable("AWS_SESSION_TOKEN"),
                source: "environment variables")
        case (.some, nil), (nil, .some):
            let set = keyID == nil ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"
            let unset = keyID == nil ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY"
            throw AWSError(
                .missingCredentials,
                "incomplete AWS credentials\(purpose): \(set) is set but \(unset) is not; set both, "
                    + "or unset \(set) to use the profile '\(profileName)'")
        case (nil, nil):
            let files = try SharedFiles(self)
            var chain = ProfileChain(environment: self, files: files, purpose: purpose)
            return try await chain.credentials(profile: profileName, explicit: profileIsExplicit)
        }
    }
}

/// The two shared files, read once for one resolution.
struct SharedFiles: Sendable {
    let credentials: AWSConfigFile?
    let config: AWSConfigFile?

    init(_ environment: AWSEnvironment) throws {
        credentials = try AWSConfigFile.load(environment.credentialsFilePath, kind: .credentials)
        config = try AWSConfigFile.load(environment.configFilePath, kind: .config)
    }

    /// The files that have `profile`.
    func holding(_ profile: String) -> [AWSConfigFile] {
        [credentials, config].compactMap { $0 }.filter { $0.profiles[profile] != nil }
    }

    /// The non-empty value of `key` in `profile`: the credentials file's, else the config file's.
    func value(_ key: String, profile: String) -> (value: String, file: String)? {
        for file in [credentials, config].compactMap({ $0 }) {
            if let value = file.value(key, profile: profile) { return (value, file.path) }
        }
        return nil
    }
}

/// One resolution of a profile's credentials, following `source_profile` links.
struct ProfileChain {
    let environment: AWSEnvironment
    let files: SharedFiles
    let purpose: String
    private var visited: [String] = []
    private var http: HTTPClient?

    init(environment: AWSEnvironment, files: SharedFiles, purpose: String) {
        self.environment = environment
        self.files = files
        self.purpose = purpose
    }

    /// The client for STS and the SSO portal, made when first needed.
    private mutating func client() throws -> HTTPClient {
        if let http { return http }
        let made = HTTPClient(configuration: try environment.httpConfiguration())
        http = made
        return made
    }

    mutating func credentials(profile: String, explicit: Bool) async throws -> AWSCredentials {
        if visited.contains(profile) {
            throw AWSError(
                .invalidConfiguration,
                "cannot resolve AWS credentials\(purpose): source_profile loops through "
                    + "\((visited + [profile]).map { "'\($0)'" }.joined(separator: " → ")); break the loop")
        }
        let isSource = !visited.isEmpty
        visited.append(profile)
        let found = files.holding(profile)
        guard !found.isEmpty else { throw missingProfile(profile, explicit: explicit, isSource: isSource) }

        if let roleARN = files.value("role_arn", profile: profile) {
            return try await assumeRole(roleARN.value, profile: profile, file: roleARN.file)
        }
        for unsupported in ["web_identity_token_file", "credential_source"] {
            if let setting = files.value(unsupported, profile: profile) {
                throw AWSError(
                    .missingCredentials,
                    "cannot use AWS profile '\(profile)'\(purpose): \(unsupported) (in \(setting.file)) is not "
                        + "supported; run `eval \"$(aws configure export-credentials --profile \(profile) "
                        + "--format env)\"` or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            }
        }
        if let sso = try SSOProfile(profile: profile, files: files, environment: environment, purpose: purpose) {
            return try await SSOPortal(http: try client(), environment: environment).credentials(for: sso)
        }
        if let credentialsFile = files.credentials, let keys = try staticKeys(profile, in: credentialsFile) {
            return keys
        }
        if let command = files.value("credential_process", profile: profile) {
            return try CredentialProcess(command: command.value, profile: profile, file: command.file)
                .run(purpose: purpose)
        }
        if let configFile = files.config, let keys = try staticKeys(profile, in: configFile) { return keys }
        throw AWSError(
            .missingCredentials,
            "no AWS credentials\(purpose): AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and profile "
                + "'\(profile)'\(explicit ? " (from AWS_PROFILE)" : "") in \(found.map(\.path).joined(separator: " and ")) "
                + "has no aws_access_key_id, role_arn, SSO settings or credential_process; run "
                + "`eval \"$(aws configure export-credentials --profile \(profile) --format env)\"` "
                + "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    }

    /// `role_arn` with `source_profile`: the source's credentials, then STS `AssumeRole`.
    private mutating func assumeRole(_ roleARN: String, profile: String, file: String) async throws -> AWSCredentials {
        if files.value("mfa_serial", profile: profile) != nil {
            throw AWSError(
                .missingCredentials,
                "cannot assume role \(roleARN) for AWS profile '\(profile)'\(purpose): mfa_serial is not "
                    + "supported; run `eval \"$(aws configure export-credentials --profile \(profile) "
                    + "--format env)\"` first")
        }
        guard let source = files.value("source_profile", profile: profile)?.value else {
            throw AWSError(
                .missingCredentials,
                "cannot assume role \(roleARN) for AWS profile '\(profile)'\(purpose): \(file) gives it no "
                    + "source_profile (credential_source is not supported); add source_profile = PROFILE")
        }
        let sourceCredentials: AWSCredentials
        if source == profile {
            // A profile that is its own source signs with its own keys.
            guard
                let keys = try [files.credentials, files.config].compactMap({ $0 }).lazy
                    .compactMap({ try self.staticKeys(profile, in: $0) }).first
            else {
                throw AWSError(
                    .missingCredentials,
                    "cannot assume role \(roleARN) for AWS profile '\(profile)'\(purpose): it is its own "
                        + "source_profile but has no aws_access_key_id; add the keys, or name another source_profile")
            }
            sourceCredentials = keys
        } else {
            sourceCredentials = try await credentials(profile: source, explicit: false)
        }
        let region =
            try environment.defaultRegion() ?? files.value("region", profile: profile)?.value
        let sts = STSClient(http: try client(), environment: environment)
        return try await sts.assumeRole(
            roleARN: roleARN,
            sessionName: files.value("role_session_name", profile: profile)?.value
                ?? "prewarm-\(Int(Date().timeIntervalSince1970))",
            externalID: files.value("external_id", profile: profile)?.value,
            durationSeconds: files.value("duration_seconds", profile: profile).flatMap { Int($0.value) },
            credentials: sourceCredentials, region: region, profile: profile, purpose: purpose)
    }

    /// The keys of `profile` in `file`; `nil` when it has neither key.
    private func staticKeys(_ profile: String, in file: AWSConfigFile) throws -> AWSCredentials? {
        let keyID = file.value("aws_access_key_id", profile: profile)
        let secret = file.value("aws_secret_access_key", profile: profile)
        guard keyID != nil || secret != nil else { return nil }
        guard let keyID, let secret else {
            let missing = keyID == nil ? "aws_access_key_id" : "aws_secret_access_key"
            throw AWSError(
                .missingCredentials,
                "incomplete AWS credentials\(purpose): profile '\(profile)' in \(file.path) has no \(missing); "
                    + "add it, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        return AWSCredentials(
            accessKeyID: keyID, secretAccessKey: secret,
            sessionToken: file.value("aws_session_token", profile: profile),
            source: "profile '\(profile)' in \(file.path)")
    }

    private func missingProfile(_ profile: String, explicit: Bool, isSource: Bool) -> AWSError {
        let credentialsPath = environment.credentialsFilePath
        let configPath = environment.configFilePath
        let files =
            "\(credentialsPath) (\(self.files.credentials == nil ? "missing" : "no such profile")) "
            + "nor \(configPath) (\(self.files.config == nil ? "missing" : "no such profile"))"
        if isSource {
            return AWSError(
                .invalidConfiguration,
                "no AWS credentials\(purpose): source_profile '\(profile)' (of profile '\(visited[0])') is in "
                    + "neither \(files); correct source_profile")
        }
        let lookedAt =
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and profile '\(profile)'"
            + (explicit ? " (from AWS_PROFILE)" : "")
        if explicit {
            return AWSError(
                .invalidConfiguration,
                "no AWS credentials\(purpose): \(lookedAt) is in neither \(files); "
                    + "set AWS_PROFILE to a profile that exists, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        return AWSError(
            .missingCredentials,
            "no AWS credentials\(purpose): \(lookedAt) is in neither \(files); "
                + "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), "
                + "or AWS_PROFILE to a profile with keys")
    }
}
