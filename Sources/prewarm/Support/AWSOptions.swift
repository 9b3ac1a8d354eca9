import ArgumentParser

/// `--profile` and `--region`, as SAM CLI's: they choose the AWS profile and the default region of the
/// credentials used to download layers by ARN.
struct AWSOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The AWS profile for layer downloads (keys, role_arn + source_profile, SSO or credential_process). "
                + "As in SAM CLI, it wins over AWS_ACCESS_KEY_ID and AWS_PROFILE. Default: $AWS_PROFILE, else default.",
            valueName: "name"))
    var profile: String?

    @Option(
        help: ArgumentHelp(
            "The AWS region for STS and the profile's defaults. Layers are always fetched from their ARN's "
                + "region. Default: $AWS_REGION, $AWS_DEFAULT_REGION, else the profile's region.",
            valueName: "region"))
    var region: String?

    /// `environment` as the AWS code reads it with these flags: `--profile` sets `AWS_PROFILE` and, as an
    /// explicit profile does in SAM CLI (botocore), hides the credential variables; `--region` sets
    /// `AWS_REGION`.
    func applied(to environment: [String: String]) -> [String: String] {
        var environment = environment
        if let profile {
            environment["AWS_PROFILE"] = profile
            for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"] {
                environment[name] = nil
            }
        }
        if let region { environment["AWS_REGION"] = region }
        return environment
    }
}
