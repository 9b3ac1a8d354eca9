import Foundation
import PrewarmAWS
import PrewarmHTTP
import PrewarmSupport
import PrewarmTestKit
import Testing

/// A home directory of the test's own, with `.aws/credentials` and `.aws/config` when given.
private func withHome<Result>(
    credentials: String? = nil, config: String? = nil, _ body: (TemporaryDirectory) async throws -> Result
) async throws -> Result {
    let home = try TemporaryDirectory("prewarm-aws-home")
    defer { home.remove() }
    if let credentials { try home.write(".aws/credentials", credentials) }
    if let config { try home.write(".aws/config", config) }
    return try await body(home)
}

private let arn = "arn:aws:lambda:eu-west-1:123456789012:layer:shared-libs:7"

@Suite struct CredentialChainTests {
    @Test func environmentKeysWinOverTheProfile() async throws {
        try await withHome(credentials: "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file\n") {
            home async throws in
            let environment = AWSEnvironment(
                environment: [
                    "AWS_ACCESS_KEY_ID": "AKIAENVIRONMENT", "AWS_SECRET_ACCESS_KEY": "env-secret",
                    "AWS_SESSION_TOKEN": "env-token",
                ], homeDirectory: home.path)
            let credentials = try await environment.resolveCredentials()
            #expect(credentials.accessKeyID == "AKIAENVIRONMENT")
            #expect(credentials.secretAccessKey == "env-secret")
            #expect(credentials.sessionToken == "env-token")
            #expect(credentials.source == "environment variables")
        }
    }

    @Test func halfAKeyPairInTheEnvironmentIsAnError() async throws {
        try await withHome { home async throws in
            let environment = AWSEnvironment(
                environment: ["AWS_SECRET_ACCESS_KEY": "only-the-secret"], homeDirectory: home.path)
            let error = try await #require(throws: AWSError.self) { try await environment.resolveCredentials(for: arn) }
            #expect(error.code == .missingCredentials)
            #expect(error.message.contains("AWS_ACCESS_KEY_ID"))
            #expect(error.message.contains(arn))
            #expect(!error.message.contains("only-the-secret"))
        }
    }

    @Test func defaultProfileFromTheCredentialsFile() async throws {
        let file = """
            # a comment
            ; another
            [other]
            aws_access_key_id = AKIAOTHER
            aws_secret_access_key = other

            [default]
            AWS_Access_Key_ID=AKIADEFAULT
              aws_secret_access_key = indented-is-nested-and-skipped
            aws_secret_access_key =  default-secret\u{20}
            aws_session_token = default-token
            """
        try await withHome(credentials: file) { home async throws in
            let credentials = try await AWSEnvironment(environment: [:], homeDirectory: home.path).resolveCredentials()
            #expect(credentials.accessKeyID == "AKIADEFAULT")
            #expect(credentials.secretAccessKey == "default-secret")
            #expect(credentials.sessionToken == "default-token")
            #expect(credentials.source == "profile 'default' in \(home.path)/.aws/credentials")
        }
    }

    @Test func awsProfileFromTheConfigFile() async throws {
        let config = """
            [default]
            region = us-east-1
            [profile dev]
            aws_access_key_id = AKIADEV
            aws_secret_access_key = dev-secret
            aws_session_token = dev-token
            [sso-session corp]
            sso_region = us-east-1
            """
        try await withHome(config: config) { home async throws in
            let environment = AWSEnvironment(environment: ["AWS_PROFILE": "dev"], homeDirectory: home.path)
            let credentials = try await environment.resolveCredentials()
            #expect(credentials.accessKeyID == "AKIADEV")
            #expect(credentials.sessionToken == "dev-token")
            #expect(credentials.source.contains("profile 'dev' in"))
        }
    }

    @Test func theCredentialsFileWinsOverTheConfigFileForOneProfile() async throws {
        try await withHome(
            credentials: "[dev]\naws_access_key_id = AKIACREDS\naws_secret_access_key = creds\n",
            config: "[profile dev]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = config\n"
        ) { home async throws in
            let environment = AWSEnvironment(environment: ["AWS_PROFILE": "dev"], homeDirectory: home.path)
            #expect(try await environment.resolveCredentials().accessKeyID == "AKIACREDS")
        }
    }

    @Test func fileOverridesAreRead() async throws {
        try await withHome { home async throws in
            let credentials = try home.write(
                "elsewhere/creds.ini", "[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = ci\n")
            let config = try home.write("elsewhere/config.ini", "[profile ci]\nregion = ap-south-1\n")
            let environment = AWSEnvironment(
                environment: [
                    "AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_CONFIG_FILE": config, "AWS_PROFILE": "ci",
                ], homeDirectory: home.path)
            #expect(try await environment.resolveCredentials().accessKeyID == "AKIACI")
            #expect(try environment.defaultRegion() == "ap-south-1")
            #expect(environment.credentialsFilePath == credentials)
        }
    }

    @Test func tildeInAnOverrideIsTheGivenHome() async throws {
        try await withHome { home async throws in
            try home.write(
                "custom/credentials", "[default]\naws_access_key_id = AKIATILDE\naws_secret_access_key = t\n")
            let environment = AWSEnvironment(
                environment: ["AWS_SHARED_CREDENTIALS_FILE": "~/custom/credentials"], homeDirectory: home.path)
            #expect(try await environment.resolveCredentials().accessKeyID == "AKIATILDE")
        }
    }

    @Test func noCredentialsSaysWhatWasLookedAtAndWhatToDo() async throws {
        try await withHome { home async throws in
            let environment = AWSEnvironment(environment: [:], homeDirectory: home.path)
            let error = try await #require(throws: AWSError.self) { try await environment.resolveCredentials(for: arn) }
            #expect(error.code == .missingCredentials)
            #expect(!error.message.contains("\n"))
            for part in [
                arn, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "'default'",
                "\(home.path)/.aws/credentials", "\(home.path)/.aws/config",
            ] {
                #expect(error.message.contains(part), "\(part) missing from: \(error.message)")
            }
        }
    }

    @Test func anUnknownExplicitProfileIsAConfigurationError() async throws {
        try await withHome(credentials: "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n") {
            home async throws in
            let environment = AWSEnvironment(environment: ["AWS_PROFILE": "typo"], homeDirectory: home.path)
            let error = try await #require(throws: AWSError.self) { try await environment.resolveCredentials() }
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("'typo' (from AWS_PROFILE)"))
        }
    }

    @Test func aProfileWithoutKeysSaysHowToExportThem() async throws {
        try await withHome(config: "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n") {
            home async throws in
            let environment = AWSEnvironment(environment: ["AWS_PROFILE": "sso"], homeDirectory: home.path)
            let error = try await #require(throws: AWSError.self) { try await environment.resolveCredentials() }
            #expect(error.code == .missingCredentials)
            #expect(error.message.contains("aws configure export-credentials --profile sso"))
        }
    }

    @Test func aProfileWithHalfAKeyPairNamesWhatIsMissing() async throws {
        try await withHome(credentials: "[default]\naws_access_key_id = AKIAHALF\n") { home async throws in
            let error = try await #require(throws: AWSError.self) {
                try await AWSEnvironment(environment: [:], homeDirectory: home.path).resolveCredentials()
            }
            #expect(error.message.contains("no aws_secret_access_key"))
        }
    }

    @Test func descriptionsNeverShowSecrets() {
        let credentials = AWSCredentials(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            sessionToken: "FwoGZXIvYXdzEXAMPLETOKEN", source: "environment variables")
        for text in [
            credentials.description, credentials.debugDescription, "\(credentials)", String(reflecting: credentials),
        ] {
            #expect(!text.contains("wJalrXUtnFEMI"))
            #expect(!text.contains("FwoGZXIvYXdz"))
            #expect(!text.contains("AKIAIOSFODNN7"))
        }
        #expect(credentials.description.contains("…MPLE"))
    }
}

@Suite struct RegionAndEndpointTests {
    @Test func theLayerARNsRegionWins() throws {
        let environment = AWSEnvironment(environment: ["AWS_REGION": "us-east-1"], homeDirectory: "/nonexistent")
        #expect(environment.region(for: try LayerARN(arn)) == "eu-west-1")
    }

    @Test func defaultRegionOrder() async throws {
        try await withHome(config: "[default]\nregion = sa-east-1\n[profile p]\nregion = ca-central-1\n") {
            home async throws in
            func region(_ variables: [String: String]) throws -> String? {
                try AWSEnvironment(environment: variables, homeDirectory: home.path).defaultRegion()
            }
            #expect(try region(["AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "us-east-2"]) == "us-west-2")
            #expect(try region(["AWS_DEFAULT_REGION": "us-east-2"]) == "us-east-2")
            #expect(try region([:]) == "sa-east-1")
            #expect(try region(["AWS_PROFILE": "p"]) == "ca-central-1")
        }
        #expect(try AWSEnvironment(environment: [:], homeDirectory: "/nonexistent").defaultRegion() == nil)
    }

    @Test func endpointOrder() async throws {
        try await withHome(config: "[default]\nendpoint_url = http://127.0.0.1:4566/\n") { home async throws in
            func endpoint(_ variables: [String: String], region: String = "eu-west-1") throws -> String {
                try AWSEnvironment(environment: variables, homeDirectory: home.path).lambdaEndpoint(region: region)
            }
            #expect(
                try endpoint([
                    "AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:1", "AWS_ENDPOINT_URL": "http://127.0.0.1:2",
                ])
                    == "http://127.0.0.1:1")
            #expect(try endpoint(["AWS_ENDPOINT_URL": "http://127.0.0.1:2"]) == "http://127.0.0.1:2")
            #expect(try endpoint([:]) == "http://127.0.0.1:4566")
            #expect(
                try endpoint(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL": "http://x"])
                    == "https://lambda.eu-west-1.amazonaws.com")
        }
        let plain = AWSEnvironment(environment: [:], homeDirectory: "/nonexistent")
        #expect(try plain.lambdaEndpoint(region: "us-east-1") == "https://lambda.us-east-1.amazonaws.com")
        #expect(try plain.lambdaEndpoint(region: "cn-north-1") == "https://lambda.cn-north-1.amazonaws.com.cn")
    }

    @Test func caBundleReachesTheHTTPConfiguration() async throws {
        try await withHome(config: "[default]\nca_bundle = ~/certs/corp.pem\n") { home async throws in
            let fromFile = try AWSEnvironment(environment: [:], homeDirectory: home.path).httpConfiguration()
            #expect(fromFile.caBundlePath == "\(home.path)/certs/corp.pem")
            let fromVariable = try AWSEnvironment(
                environment: ["AWS_CA_BUNDLE": "/etc/ssl/mine.pem"], homeDirectory: home.path
            ).httpConfiguration(HTTPClient.Configuration(userAgent: "x"))
            #expect(fromVariable.caBundlePath == "/etc/ssl/mine.pem")
            #expect(fromVariable.userAgent == "x")
        }
        #expect(try AWSEnvironment(environment: [:], homeDirectory: "/nonexistent").caBundlePath() == nil)
    }
}

@Suite struct LayerARNTests {
    @Test func parsesTheParts() async throws {
        let layer = try LayerARN("arn:aws-cn:lambda:cn-north-1:123456789012:layer:my_layer-2:15")
        #expect(layer.partition == "aws-cn")
        #expect(layer.region == "cn-north-1")
        #expect(layer.account == "123456789012")
        #expect(layer.name == "my_layer-2")
        #expect(layer.version == 15)
        #expect(layer.layerARN == "arn:aws-cn:lambda:cn-north-1:123456789012:layer:my_layer-2")
        #expect(layer.text == "arn:aws-cn:lambda:cn-north-1:123456789012:layer:my_layer-2:15")
    }

    @Test(arguments: [
        "arn:aws:lambda:us-east-1:123456789012:layer:name",
        "arn:aws:s3:us-east-1:123456789012:layer:name:1",
        "arn:aws:lambda:us-east-1:1234:layer:name:1",
        "arn:aws:lambda:us-east-1:123456789012:function:name:1",
        "arn:aws:lambda:us-east-1:123456789012:layer:na/me:1",
        "arn:aws:lambda:us-east-1:123456789012:layer:name:0",
        "arn:aws:lambda:us-east-1:123456789012:layer:name:x",
    ])
    func rejectsMalformedARNs(_ text: String) {
        let malformed = #expect(throws: LayerARN.Malformed.self) { try LayerARN(text) }
        let error = malformed.map(AWSError.init)
        #expect(error?.code == .invalidLayerARN)
        #expect(error?.message.contains(text) == true)
    }
}
