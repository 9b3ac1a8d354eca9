extension AWSEnvironment {
    /// The credentials to sign requests with, from the environment variables, else the chosen profile.
    ///
    /// Call it before any work starts when a plan has layer ARNs, so that a missing credential fails at once.
    ///
    /// - Parameter layer: the layer ARN the credentials are needed for, named in the error when given.
    /// - Returns: the credentials, with ``AWSCredentials/source`` saying where they were found.
    /// - Throws: ``AWSError`` with code ``AWSError/Code/missingCredentials`` when none are found, or only half
    ///   of a key pair, or the profile has no keys (SSO, assume-role and `credential_process` profiles are
    ///   not supported); ``AWSError/Code/invalidConfiguration`` when `AWS_PROFILE` names a profile that is
    ///   in neither file, or a file cannot be read. The message says what was looked at and what to do.
    public func resolveCredentials(for layer: String? = nil) throws -> AWSCredentials {
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
            return try profileCredentials(purpose: purpose)
        }
    }

    private func profileCredentials(purpose: String) throws -> AWSCredentials {
        let profile = profileName
        let credentialsFile = try AWSConfigFile.load(credentialsFilePath, kind: .credentials)
        let configFile = try AWSConfigFile.load(configFilePath, kind: .config)
        let chosenBy = profileIsExplicit ? " (from AWS_PROFILE)" : ""
        let lookedAt =
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and profile '\(profile)'\(chosenBy)"
        for file in [credentialsFile, configFile].compactMap({ $0 }) where file.profiles[profile] != nil {
            let keyID = file.value("aws_access_key_id", profile: profile)
            let secret = file.value("aws_secret_access_key", profile: profile)
            guard keyID != nil || secret != nil else { continue }
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
        let found = [credentialsFile, configFile].compactMap { $0 }.filter { $0.profiles[profile] != nil }
        if !found.isEmpty {
            throw AWSError(
                .missingCredentials,
                "no AWS credentials\(purpose): \(lookedAt) in \(found.map(\.path).joined(separator: " and ")) "
                    + "has no aws_access_key_id (SSO, assume-role and credential_process profiles are not "
                    + "supported); run `eval \"$(aws configure export-credentials --profile \(profile) --format env)\"` "
                    + "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        let files =
            "\(credentialsFilePath) (\(credentialsFile == nil ? "missing" : "no such profile")) "
            + "nor \(configFilePath) (\(configFile == nil ? "missing" : "no such profile"))"
        if profileIsExplicit {
            throw AWSError(
                .invalidConfiguration,
                "no AWS credentials\(purpose): \(lookedAt) is in neither \(files); "
                    + "set AWS_PROFILE to a profile that exists, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        throw AWSError(
            .missingCredentials,
            "no AWS credentials\(purpose): \(lookedAt) is in neither \(files); "
                + "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), "
                + "or AWS_PROFILE to a profile with keys")
    }
}
