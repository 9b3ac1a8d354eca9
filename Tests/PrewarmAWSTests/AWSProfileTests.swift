import Crypto
import Foundation
import PrewarmHTTP
import PrewarmSupport
import PrewarmTestKit
import Testing

@testable import PrewarmAWS

private let layer = "arn:aws:lambda:us-east-1:123456789012:layer:shared-libs:3"

/// The profiles that are not keys: `credential_process`, `role_arn` + `source_profile` (moto's STS), and SSO
/// (a stand-in of the SSO portal, `Tests/Fixtures/aws/sso_portal.py`), each followed by a real download of
/// a layer through the signed GetLayerVersion fixture.
@Suite(.serialized) struct AWSProfileTests {
    /// GetLayerVersion with `credentials` and a download of the zip; returns the fixture's counts.
    private func download(_ servers: LayerServers, with credentials: AWSCredentials) async throws -> (
        calls: [String: Int], downloads: [String: Int]
    ) {
        let http = HTTPClient()
        let lambda = LambdaClient(http: http, credentials: credentials, environment: servers.environment())
        let content = try await lambda.getLayerVersion(arn: layer)
        let file = try await http.download(
            HTTPRequest(url: content.location), to: servers.directory.path + "/layer.zip"
        ).requireSuccess()
        #expect(file.sha256 == content.codeSHA256Hex)
        let counts = try await servers.counts()
        #expect(counts.rejected == 0)
        return (counts.calls, counts.downloads)
    }

    @Test func aCredentialProcessProfileDownloadsALayer() async throws {
        try await withLayerServers([FixtureLayer(arn: layer, zip: layerBytes(4000, seed: 7))]) { servers in
            let keys = AWSServices.credentials
            try servers.directory.write(
                "bin/credentials.sh",
                """
                #!/bin/sh
                echo '{"Version": 1, "AccessKeyId": "\(keys.accessKeyID)", "SecretAccessKey": "\(keys.secretAccessKey)", \
                "Expiration": "2999-01-01T00:00:00Z"}'
                """)
            try servers.directory.write(
                ".aws/config",
                "[profile tool]\ncredential_process = /bin/sh \(servers.directory.path)/bin/credentials.sh --flag\n")
            let environment = servers.environment(["AWS_PROFILE": "tool"])
            let credentials = try await environment.resolveCredentials(for: layer)
            #expect(credentials.accessKeyID == keys.accessKeyID)
            #expect(credentials.source.contains("credential_process of AWS profile 'tool'"))
            #expect(credentials.expiration != nil)
            let counts = try await download(servers, with: credentials)
            #expect(counts.calls == [layer: 1])
            #expect(counts.downloads == [layer: 1])
        }
    }

    @Test func aRoleProfileAssumesTheRoleWithMotosSTSAndDownloadsALayer() async throws {
        try await withLayerServers([FixtureLayer(arn: layer, zip: layerBytes(5000, seed: 8))], trustMotoSTS: true) {
            servers in
            try servers.directory.write(
                ".aws/credentials", "[base]\naws_access_key_id = AKIASOURCEPROFILE01\naws_secret_access_key = source\n")
            try servers.directory.write(
                ".aws/config",
                """
                [profile deploy]
                role_arn = arn:aws:iam::123456789012:role/deployer
                source_profile = base
                role_session_name = prewarm-test
                region = us-east-1
                """)
            let environment = servers.environment([
                "AWS_PROFILE": "deploy", "AWS_ENDPOINT_URL_STS": servers.motoEndpoint,
            ])
            let credentials = try await environment.resolveCredentials(for: layer)
            #expect(credentials.accessKeyID.hasPrefix("ASIA"), "\(credentials)")
            #expect(credentials.sessionToken != nil)
            #expect(credentials.source.contains("role arn:aws:iam::123456789012:role/deployer of profile 'deploy'"))
            #expect(credentials.source.contains("profile 'base'"))
            let counts = try await download(servers, with: credentials)
            #expect(counts.calls == [layer: 1])
            #expect(counts.downloads == [layer: 1])
            #expect(try await servers.signedBy() == [credentials.accessKeyID: 1])
        }
    }

    @Test func aRoleWhoseSourceCannotBeResolvedSaysWhich() async throws {
        let home = try TemporaryDirectory("pw-aws-role")
        defer { home.remove() }
        try home.write(
            ".aws/config",
            "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
                + "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n"
                + "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = nowhere\n"
                + "[profile m]\nrole_arn = arn:aws:iam::1:role/m\nsource_profile = a\nmfa_serial = arn:aws:iam::1:mfa/x\n"
        )
        func failure(_ profile: String) async throws -> AWSError {
            let environment = AWSEnvironment(environment: ["AWS_PROFILE": profile], homeDirectory: home.path)
            return try await #require(throws: AWSError.self) { try await environment.resolveCredentials() }
        }
        let loop = try await failure("a")
        #expect(loop.code == .invalidConfiguration)
        #expect(loop.message.contains("'a' → 'b' → 'a'"), "\(loop.message)")
        let missing = try await failure("c")
        #expect(missing.message.contains("source_profile 'nowhere'"), "\(missing.message)")
        let mfa = try await failure("m")
        #expect(mfa.message.contains("mfa_serial is not supported"), "\(mfa.message)")
    }

    @Test func aFailingCredentialProcessIsOneLineWithoutWhatItPrinted() async throws {
        let home = try TemporaryDirectory("pw-aws-process")
        defer { home.remove() }
        try home.write("printed", "SECRET-OUTPUT\n")
        try home.write(
            ".aws/config",
            "[profile failing]\ncredential_process = sh -c 'cat \(home.path)/printed; exit 3'\n"
                + "[profile v2]\ncredential_process = echo '{\"Version\": 2}'\n"
                + "[profile expired]\ncredential_process = echo '{\"Version\": 1, \"AccessKeyId\": \"A\", "
                + "\"SecretAccessKey\": \"S\", \"Expiration\": \"2001-01-01T00:00:00Z\"}'\n")
        for (profile, expected) in [
            ("failing", "exited with status 3"), ("v2", "Version 2, not 1"), ("expired", "expired at"),
        ] {
            let environment = AWSEnvironment(environment: ["AWS_PROFILE": profile], homeDirectory: home.path)
            let error = try await #require(throws: AWSError.self) {
                try await environment.resolveCredentials(for: layer)
            }
            #expect(error.code == .missingCredentials)
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(error.message.contains(layer))
            #expect(!error.message.contains("SECRET-OUTPUT"))
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func timestampsOfAWSDocuments() {
        let expected = Date(timeIntervalSince1970: 1_764_584_784)  // 2025-12-01T10:26:24Z
        for text in [
            "2025-12-01T10:26:24Z", "2025-12-01T10:26:24.839784Z", "2025-12-01T10:26:24UTC",
            "2025-12-01T10:26:24+00:00", "2025-12-01T11:26:24+01:00", "2025-12-01T10:26:24",
        ] {
            #expect(AWSDate.parse(text) == expected, "\(text)")
        }
        #expect(AWSDate.parse("yesterday") == nil)
    }
}

/// SSO profiles: the AWS CLI's token cache and a stand-in of the SSO portal.
@Suite(.serialized) struct SSOProfileTests {
    static let config = """
        [profile dev]
        sso_session = corp
        sso_account_id = 123456789012
        sso_role_name = Developer
        region = eu-west-1

        [sso-session corp]
        sso_start_url = https://corp.awsapps.com/start
        sso_region = us-east-1
        sso_registration_scopes = sso:account:access

        [profile legacy]
        sso_start_url = https://legacy.awsapps.com/start
        sso_region = us-east-1
        sso_account_id = 123456789012
        sso_role_name = Developer
        """

    /// Writes the AWS CLI's cached token for `key` (an `sso-session` name or a legacy start URL).
    static func cacheToken(_ token: String, expiresIn seconds: TimeInterval, for key: String, home: TemporaryDirectory)
        throws
    {
        let name = Hex.string(Insecure.SHA1.hash(data: Data(key.utf8)))
        let expiresAt = ISO8601DateFormatter().string(from: Date().addingTimeInterval(seconds))
        try home.write(
            ".aws/sso/cache/\(name).json",
            #"{"startUrl": "x", "region": "us-east-1", "accessToken": "\#(token)", "expiresAt": "\#(expiresAt)"}"#)
    }

    @Test func anSSOProfileWithACachedTokenDownloadsALayer() async throws {
        try await withLayerServers([FixtureLayer(arn: layer, zip: layerBytes(3000, seed: 9))]) { servers in
            let keys = servers.credentials
            var arguments = [
                Fixtures.path("aws/sso_portal.py"), "--port", "0", "--token", "cached-sso-token", "--account-id",
                "123456789012", "--role-name", "Developer", "--access-key-id", keys.accessKeyID,
                "--secret-access-key", keys.secretAccessKey,
            ]
            if let token = keys.sessionToken { arguments += ["--session-token", token] }
            let portal = try await FixtureServer.start(servers.python, arguments, in: servers.directory)
            defer { portal.stop() }
            try servers.directory.write(".aws/config", Self.config)
            try Self.cacheToken("cached-sso-token", expiresIn: 3600, for: "corp", home: servers.directory)
            try Self.cacheToken(
                "cached-sso-token", expiresIn: 3600, for: "https://legacy.awsapps.com/start", home: servers.directory)
            for profile in ["dev", "legacy"] {
                let environment = servers.environment([
                    "AWS_PROFILE": profile, "AWS_ENDPOINT_URL_SSO": portal.baseURL(),
                ])
                let credentials = try await environment.resolveCredentials(for: layer)
                #expect(credentials.accessKeyID == keys.accessKeyID)
                #expect(credentials.source == "SSO profile '\(profile)' (role Developer in 123456789012)")
                #expect(credentials.expiration != nil)
                let lambda = LambdaClient(http: HTTPClient(), credentials: credentials, environment: environment)
                let content = try await lambda.getLayerVersion(arn: layer)
                _ = try await HTTPClient().download(
                    HTTPRequest(url: content.location), to: servers.directory.path + "/\(profile).zip"
                ).requireSuccess()
            }
            let counts = try await servers.counts()
            #expect(counts.calls == [layer: 2])
            #expect(counts.downloads == [layer: 2])
            #expect(counts.rejected == 0)
        }
    }

    @Test func anExpiredOrMissingSSOTokenSaysToLogIn() async throws {
        let home = try TemporaryDirectory("pw-aws-sso")
        defer { home.remove() }
        try home.write(".aws/config", Self.config)
        // Nowhere to go: nothing may be asked of a portal for an expired token.
        let environment = AWSEnvironment(
            environment: ["AWS_PROFILE": "dev", "AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:9"], homeDirectory: home.path)
        let missing = try await #require(throws: AWSError.self) { try await environment.resolveCredentials() }
        #expect(missing.code == .missingCredentials)
        #expect(missing.message.contains("run `aws sso login --sso-session corp`"), "\(missing.message)")

        try Self.cacheToken("old-token", expiresIn: -60, for: "corp", home: home)
        let expired = try await #require(throws: AWSError.self) { try await environment.resolveCredentials(for: layer) }
        #expect(expired.code == .missingCredentials)
        #expect(!expired.message.contains("\n"))
        #expect(!expired.message.contains("old-token"))
        #expect(
            expired.message.hasPrefix("the SSO session of the SSO profile 'dev' expired at "), "\(expired.message)")
        #expect(expired.message.hasSuffix("; run `aws sso login --sso-session corp`"), "\(expired.message)")

        let legacy = AWSEnvironment(environment: ["AWS_PROFILE": "legacy"], homeDirectory: home.path)
        let notLoggedIn = try await #require(throws: AWSError.self) { try await legacy.resolveCredentials() }
        #expect(notLoggedIn.message.contains("run `aws sso login --profile legacy`"), "\(notLoggedIn.message)")
    }
}
