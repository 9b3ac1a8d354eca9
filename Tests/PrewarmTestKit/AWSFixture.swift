import Foundation
import PrewarmAWS
import PrewarmHTTP

/// The real services of the layer tests: moto (started by `ci/services/moto`) and
/// `Tests/Fixtures/aws/lambda_server.py`, both on 127.0.0.1.
public enum AWSServices {
    /// The root of this checkout.
    public static let repositoryRoot = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent()
        .deletingLastPathComponent().path
    public static let motoScript = "\(repositoryRoot)/ci/services/moto"

    private static let installation = Task { () throws -> String in
        let result = try await CommandRunner.run(motoScript, ["install"])
        guard result.status == 0 else {
            throw AWSServiceError("ci/services/moto install failed (\(result.status)): \(result.stderr)")
        }
        return "\(repositoryRoot)/.build-aws/bin/python"
    }

    /// The python of `.build-aws`, which has moto and botocore; installs them (once) when missing.
    public static func python() async throws -> String {
        try await installation.value
    }

    /// Test credentials: nothing real is ever signed with them.
    public static let credentials = AWSCredentials(
        accessKeyID: "AKIAPREWARMTEST0001", secretAccessKey: "prewarm/test/secret+key0000000000000000",
        source: "the test")
}

/// Why a service of these tests could not be started.
public struct AWSServiceError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// One layer the fixture serves: its ARN, its zip's bytes, statuses to answer before the real answer, and
/// whether `GetLayerVersion` states a `CodeSha256` that is not the zip's.
public struct FixtureLayer: Sendable {
    public var arn: String
    public var zip: Data
    public var failFirst: [Int]
    public var wrongChecksum: Bool

    public init(arn: String, zip: Data, failFirst: [Int] = [], wrongChecksum: Bool = false) {
        self.arn = arn
        self.zip = zip
        self.failFirst = failFirst
        self.wrongChecksum = wrongChecksum
    }
}

/// moto and the GetLayerVersion fixture, started for one test.
public struct LayerServers: Sendable {
    public let directory: TemporaryDirectory
    public let lambda: FixtureServer
    /// moto's S3 endpoint, `http://127.0.0.1:PORT`.
    public let motoEndpoint: String
    public let python: String
    /// The credentials the fixture accepts.
    public let credentials: AWSCredentials

    /// `http://127.0.0.1:PORT` of the GetLayerVersion fixture.
    public var lambdaEndpoint: String { lambda.baseURL() }

    /// An environment whose Lambda endpoint is the fixture and whose home is the test's directory.
    public func environment(_ extra: [String: String] = [:]) -> AWSEnvironment {
        AWSEnvironment(
            environment: ["AWS_ENDPOINT_URL_LAMBDA": lambdaEndpoint].merging(extra) { $1 },
            homeDirectory: directory.path)
    }

    /// The variables that point a `prewarm` process at the fixture with the credentials it accepts
    /// (`secretAccessKey`, when given, replaces the secret): `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN` when there is one, and `AWS_ENDPOINT_URL_LAMBDA`.
    public func processEnvironment(secretAccessKey: String? = nil) -> [String: String] {
        var variables = [
            "AWS_ACCESS_KEY_ID": credentials.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": secretAccessKey ?? credentials.secretAccessKey,
            "AWS_ENDPOINT_URL_LAMBDA": lambdaEndpoint,
        ]
        if let token = credentials.sessionToken { variables["AWS_SESSION_TOKEN"] = token }
        return variables
    }

    /// The accepted GetLayerVersion calls by the access key ID that signed them.
    public func signedBy() async throws -> [String: Int] {
        let response = try await HTTPClient().execute(HTTPRequest(url: "\(lambdaEndpoint)/_counts")).requireSuccess()
        let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any] ?? [:]
        return object["signed_by"] as? [String: Int] ?? [:]
    }

    /// What the fixture counted: GetLayerVersion calls and downloads (seen by moto) per layer ARN, and
    /// the requests it refused.
    public func counts() async throws -> (calls: [String: Int], downloads: [String: Int], rejected: Int) {
        let response = try await HTTPClient().execute(HTTPRequest(url: "\(lambdaEndpoint)/_counts")).requireSuccess()
        let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any] ?? [:]
        return (
            object["get_layer_version"] as? [String: Int] ?? [:], object["downloads"] as? [String: Int] ?? [:],
            object["rejected"] as? Int ?? -1
        )
    }
}

/// Starts moto (through `ci/services/moto start`) and the GetLayerVersion fixture serving `layers`, runs
/// `body`, then stops both and removes the test's directory. With `trustMotoSTS`, the fixture also accepts
/// requests signed with credentials from moto's STS `AssumeRole`.
public func withLayerServers<Result>(
    _ layers: [FixtureLayer], credentials: AWSCredentials = AWSServices.credentials, trustMotoSTS: Bool = false,
    _ body: (LayerServers) async throws -> Result
) async throws -> Result {
    let python = try await AWSServices.python()
    // Short: ci/services refuses state directories too long for unix sockets.
    let directory = try TemporaryDirectory("pw-aws")
    let motoDirectory = "\(directory.path)/moto"
    func cleanUp() async {
        _ = try? await CommandRunner.run(AWSServices.motoScript, ["stop", motoDirectory])
        directory.remove()
    }
    do {
        let servers = try await startLayerServers(
            layers, credentials: credentials, trustMotoSTS: trustMotoSTS, python: python, directory: directory,
            motoDirectory: motoDirectory)
        defer { servers.lambda.stop() }
        let result = try await body(servers)
        await cleanUp()
        return result
    } catch {
        await cleanUp()
        throw error
    }
}

private func startLayerServers(
    _ layers: [FixtureLayer], credentials: AWSCredentials, trustMotoSTS: Bool, python: String,
    directory: TemporaryDirectory,
    motoDirectory: String
) async throws -> LayerServers {
    let started = try await CommandRunner.run(AWSServices.motoScript, ["start", motoDirectory])
    guard started.status == 0, let line = started.stdout.split(separator: "\n").first,
        line.hasPrefix("AWS_ENDPOINT_URL=")
    else {
        throw AWSServiceError("ci/services/moto start failed (\(started.status)): \(started.stderr)")
    }
    let moto = String(line.dropFirst("AWS_ENDPOINT_URL=".count))
    var entries: [[String: Any]] = []
    for (index, layer) in layers.enumerated() {
        let zip = "\(directory.path)/layer-\(index).zip"
        try layer.zip.write(to: URL(fileURLWithPath: zip))
        entries.append(["arn": layer.arn, "zip": zip, "fail": layer.failFirst, "wrong_sha256": layer.wrongChecksum])
    }
    let layersFile = "\(directory.path)/layers.json"
    try JSONSerialization.data(withJSONObject: entries).write(to: URL(fileURLWithPath: layersFile))
    var arguments = [
        Fixtures.path("aws/lambda_server.py"), "--port", "0", "--s3-endpoint", moto, "--layers", layersFile,
        "--access-key-id", credentials.accessKeyID, "--secret-access-key", credentials.secretAccessKey,
    ]
    if let token = credentials.sessionToken { arguments += ["--session-token", token] }
    if trustMotoSTS { arguments.append("--trust-moto-sts") }
    let lambda = try await FixtureServer.start(python, arguments, in: directory, timeout: .seconds(60))
    return LayerServers(
        directory: directory, lambda: lambda, motoEndpoint: moto, python: python, credentials: credentials)
}

/// Bytes that stand for a layer zip: `count` bytes of a pattern seeded by `seed`.
public func layerBytes(_ count: Int, seed: UInt8) -> Data {
    Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) })
}
