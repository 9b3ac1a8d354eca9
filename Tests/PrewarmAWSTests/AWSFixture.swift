import Foundation
import PrewarmAWS
import PrewarmHTTP
import PrewarmTestKit

/// The real services of these tests: moto (started by `ci/services/moto`) and
/// `Tests/Fixtures/aws/lambda_server.py`, both on 127.0.0.1.
enum AWSServices {
    /// The root of this checkout.
    static let repositoryRoot = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let motoScript = "\(repositoryRoot)/ci/services/moto"

    private static let installation = Task { () throws -> String in
        let result = try await CommandRunner.run(motoScript, ["install"])
        guard result.status == 0 else {
            throw AWSServiceError("ci/services/moto install failed (\(result.status)): \(result.stderr)")
        }
        return "\(repositoryRoot)/.build-aws/bin/python"
    }

    /// The python of `.build-aws`, which has moto and botocore; installs them (once) when missing.
    static func python() async throws -> String {
        try await installation.value
    }

    /// Test credentials: nothing real is ever signed with them.
    static let credentials = AWSCredentials(
        accessKeyID: "AKIAPREWARMTEST0001", secretAccessKey: "prewarm/test/secret+key0000000000000000",
        source: "the test")
}

/// Why a service of these tests could not be started.
struct AWSServiceError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// One layer the fixture serves: its ARN, its zip's bytes, and statuses to answer before the real answer.
struct FixtureLayer {
    var arn: String
    var zip: Data
    var failFirst: [Int] = []
}

/// moto and the GetLayerVersion fixture, started for one test.
struct LayerServers {
    let directory: TemporaryDirectory
    let lambda: FixtureServer
    /// moto's S3 endpoint, `http://127.0.0.1:PORT`.
    let motoEndpoint: String
    let python: String

    /// `http://127.0.0.1:PORT` of the GetLayerVersion fixture.
    var lambdaEndpoint: String { lambda.baseURL() }

    /// An environment whose Lambda endpoint is the fixture and whose home is the test's directory.
    func environment(_ extra: [String: String] = [:]) -> AWSEnvironment {
        AWSEnvironment(
            environment: ["AWS_ENDPOINT_URL_LAMBDA": lambdaEndpoint].merging(extra) { $1 },
            homeDirectory: directory.path)
    }

    /// What the fixture counted: GetLayerVersion calls and downloads (seen by moto) per layer ARN, and
    /// the requests it refused.
    func counts() async throws -> (calls: [String: Int], downloads: [String: Int], rejected: Int) {
        let response = try await HTTPClient().execute(HTTPRequest(url: "\(lambdaEndpoint)/_counts")).requireSuccess()
        let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any] ?? [:]
        return (
            object["get_layer_version"] as? [String: Int] ?? [:], object["downloads"] as? [String: Int] ?? [:],
            object["rejected"] as? Int ?? -1
        )
    }
}

/// Starts moto (through `ci/services/moto start`) and the GetLayerVersion fixture serving `layers`, runs
/// `body`, then stops both and removes the test's directory.
func withLayerServers<Result>(
    _ layers: [FixtureLayer], credentials: AWSCredentials = AWSServices.credentials,
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
            layers, credentials: credentials, python: python, directory: directory, motoDirectory: motoDirectory)
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
    _ layers: [FixtureLayer], credentials: AWSCredentials, python: String, directory: TemporaryDirectory,
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
        entries.append(["arn": layer.arn, "zip": zip, "fail": layer.failFirst])
    }
    let layersFile = "\(directory.path)/layers.json"
    try JSONSerialization.data(withJSONObject: entries).write(to: URL(fileURLWithPath: layersFile))
    var arguments = [
        Fixtures.path("aws/lambda_server.py"), "--port", "0", "--s3-endpoint", moto, "--layers", layersFile,
        "--access-key-id", credentials.accessKeyID, "--secret-access-key", credentials.secretAccessKey,
    ]
    if let token = credentials.sessionToken { arguments += ["--session-token", token] }
    let lambda = try await FixtureServer.start(python, arguments, in: directory, timeout: .seconds(60))
    return LayerServers(directory: directory, lambda: lambda, motoEndpoint: moto, python: python)
}

/// Bytes that stand for a layer zip: `count` bytes of a pattern seeded by `seed`.
func layerBytes(_ count: Int, seed: UInt8) -> Data {
    Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) })
}
