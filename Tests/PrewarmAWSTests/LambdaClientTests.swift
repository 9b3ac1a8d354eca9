import Crypto
import Foundation
import PrewarmHTTP
import PrewarmSupport
import PrewarmTestKit
import Testing

@testable import PrewarmAWS

private let layerA = "arn:aws:lambda:us-east-1:123456789012:layer:shared-libs:3"
private let layerB = "arn:aws:lambda:eu-west-1:210987654321:layer:other_layer:12"

/// Quick retries, so that the tests of transient failures take milliseconds.
private let quickRetries = RetryPolicy(maxAttempts: 3, initialDelay: .milliseconds(10), maxDelay: .milliseconds(20))

@Suite(.serialized) struct LambdaClientTests {
    @Test func getLayerVersionAndDownloadThePresignedURL() async throws {
        let zipA = layerBytes(300_000, seed: 1)
        let zipB = layerBytes(1234, seed: 2)
        try await withLayerServers([FixtureLayer(arn: layerA, zip: zipA), FixtureLayer(arn: layerB, zip: zipB)]) {
            servers in
            let http = HTTPClient()
            let lambda = LambdaClient(
                http: http, credentials: AWSServices.credentials, environment: servers.environment())
            let content = try await lambda.getLayerVersion(arn: layerA)
            #expect(content.layerVersionARN == layerA)
            #expect(content.codeSize == Int64(zipA.count))
            #expect(content.codeSHA256Base64 == Data(SHA256.hash(data: zipA)).base64EncodedString())
            #expect(content.codeSHA256Hex == sha256Hex(zipA))
            #expect(content.location.hasPrefix(servers.motoEndpoint + "/"))
            #expect(content.location.contains("X-Amz-Signature="))
            #expect(!content.description.contains(signature(of: content.location)))
            #expect(content.description.contains("X-Amz-Signature=REDACTED"))

            // The pre-signed URL is real: moto's S3 serves the zip, whose SHA-256 is CodeSha256.
            let target = "\(servers.directory.path)/download.zip"
            let file = try await http.download(HTTPRequest(url: content.location), to: target).requireSuccess()
            #expect(file.sha256 == content.codeSHA256Hex)
            #expect(file.byteCount == content.codeSize)

            let other = try await lambda.getLayerVersion(try LayerARN(layerB))
            #expect(other.codeSHA256Hex == sha256Hex(zipB))
            _ = try await http.download(HTTPRequest(url: other.location), to: "\(target).b").requireSuccess()
            _ = try await http.download(HTTPRequest(url: other.location), to: "\(target).c").requireSuccess()

            let counts = try await servers.counts()
            #expect(counts.calls == [layerA: 1, layerB: 1])
            #expect(counts.downloads == [layerA: 1, layerB: 2])
            #expect(counts.rejected == 0)
        }
    }

    @Test func fiveLayersConcurrentlyAreFiveCallsAndFiveDownloads() async throws {
        let layers = (1...5).map { index in
            FixtureLayer(
                arn: "arn:aws:lambda:us-east-1:123456789012:layer:layer-\(index):\(index)",
                zip: layerBytes(50_000 * index, seed: UInt8(index)))
        }
        try await withLayerServers(layers) { servers in
            let http = HTTPClient()
            let lambda = LambdaClient(
                http: http, credentials: AWSServices.credentials, environment: servers.environment())
            let digests = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
                for layer in layers {
                    group.addTask {
                        let content = try await lambda.getLayerVersion(arn: layer.arn)
                        let path = "\(servers.directory.path)/\(content.codeSHA256Hex).zip"
                        let file = try await http.download(HTTPRequest(url: content.location), to: path)
                            .requireSuccess()
                        return (layer.arn, file.sha256 == content.codeSHA256Hex && file.sha256 == sha256Hex(layer.zip))
                    }
                }
                return try await group.reduce(into: [String: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(digests == Dictionary(uniqueKeysWithValues: layers.map { ($0.arn, true) }))
            let counts = try await servers.counts()
            #expect(counts.calls == Dictionary(uniqueKeysWithValues: layers.map { ($0.arn, 1) }))
            #expect(counts.downloads == Dictionary(uniqueKeysWithValues: layers.map { ($0.arn, 1) }))
        }
    }

    @Test func aSessionTokenIsSentAndChecked() async throws {
        var credentials = AWSServices.credentials
        credentials.sessionToken = "FQoGZXIvYXdzEPREWARM//token+value=="
        try await withLayerServers([FixtureLayer(arn: layerA, zip: layerBytes(10, seed: 3))], credentials: credentials)
        { servers in
            let http = HTTPClient()
            let good = LambdaClient(http: http, credentials: credentials, environment: servers.environment())
            #expect(try await good.getLayerVersion(arn: layerA).codeSize == 10)
            var stale = credentials
            stale.sessionToken = "another-token"
            let bad = LambdaClient(http: http, credentials: stale, environment: servers.environment())
            let error = try await #require(throws: AWSError.self) { try await bad.getLayerVersion(arn: layerA) }
            #expect(error.code == .accessDenied)
            #expect(!error.message.contains("another-token"))
        }
    }

    @Test func aWrongSecretGetsTheClearPermissionError() async throws {
        try await withLayerServers([FixtureLayer(arn: layerA, zip: layerBytes(10, seed: 4))]) { servers in
            var wrong = AWSServices.credentials
            wrong.secretAccessKey = "not-the-secret-the-server-knows"
            wrong.source = "profile 'ci' in /home/x/.aws/credentials"
            let lambda = LambdaClient(
                http: HTTPClient(), credentials: wrong, environment: servers.environment(), retryPolicy: quickRetries)
            let error = try await #require(throws: AWSError.self) { try await lambda.getLayerVersion(arn: layerA) }
            #expect(error.code == .accessDenied)
            #expect(error.message.contains(layerA))
            #expect(error.message.contains("InvalidSignatureException"))
            #expect(error.message.contains("lambda:GetLayerVersion"))
            #expect(error.message.contains("profile 'ci' in /home/x/.aws/credentials"))
            #expect(!error.message.contains("not-the-secret"))
            #expect(!error.message.contains("\n"))
            let counts = try await servers.counts()
            #expect(counts.rejected == 1)  // refused once: a 403 is not retried
            #expect(counts.calls[layerA] == 0)
        }
    }

    @Test func anUnknownAccessKeyIsAPermissionError() async throws {
        try await withLayerServers([FixtureLayer(arn: layerA, zip: layerBytes(10, seed: 5))]) { servers in
            var unknown = AWSServices.credentials
            unknown.accessKeyID = "AKIAUNKNOWNKEY000000"
            let lambda = LambdaClient(http: HTTPClient(), credentials: unknown, environment: servers.environment())
            let error = try await #require(throws: AWSError.self) { try await lambda.getLayerVersion(arn: layerA) }
            #expect(error.code == .accessDenied)
            #expect(error.message.contains("UnrecognizedClientException"))
        }
    }

    @Test func aMissingVersionIsNotFound() async throws {
        try await withLayerServers([FixtureLayer(arn: layerA, zip: layerBytes(10, seed: 6))]) { servers in
            let lambda = LambdaClient(
                http: HTTPClient(), credentials: AWSServices.credentials, environment: servers.environment())
            let missing = "arn:aws:lambda:us-east-1:123456789012:layer:shared-libs:4"
            let error = try await #require(throws: AWSError.self) { try await lambda.getLayerVersion(arn: missing) }
            #expect(error.code == .notFound)
            #expect(error.message.contains(missing))
            #expect(error.message.contains("ResourceNotFoundException"))
        }
    }

    @Test func transientFailuresAreRetriedThenReported() async throws {
        let flaky = FixtureLayer(arn: layerA, zip: layerBytes(10, seed: 7), failFirst: [503, 429])
        let broken = FixtureLayer(arn: layerB, zip: layerBytes(10, seed: 8), failFirst: [500, 502, 503, 500])
        try await withLayerServers([flaky, broken]) { servers in
            let lambda = LambdaClient(
                http: HTTPClient(), credentials: AWSServices.credentials, environment: servers.environment(),
                retryPolicy: quickRetries)
            #expect(try await lambda.getLayerVersion(arn: layerA).codeSize == 10)
            let error = try await #require(throws: AWSError.self) { try await lambda.getLayerVersion(arn: layerB) }
            #expect(error.code == .transient)
            #expect(error.isTransient)
            #expect(error.message.contains(layerB))
            #expect(error.message.contains("3 attempts"))
            let counts = try await servers.counts()
            #expect(counts.calls == [layerA: 3, layerB: 3])
        }
    }

    @Test func aDeadEndpointIsTransient() async throws {
        // A port on 127.0.0.1 where nothing listens: bind one, note it, close it.
        let port = try await withLayerServers([]) { servers in servers.lambda.port ?? 0 }
        let environment = AWSEnvironment(
            environment: ["AWS_ENDPOINT_URL_LAMBDA": "http://127.0.0.1:\(port)"], homeDirectory: "/nonexistent")
        let lambda = LambdaClient(
            http: HTTPClient(), credentials: AWSServices.credentials, environment: environment,
            retryPolicy: quickRetries)
        let error = try await #require(throws: AWSError.self) { try await lambda.getLayerVersion(arn: layerA) }
        #expect(error.code == .transient)
        #expect(error.message.contains("could not connect"))
    }

    @Test func aBodyWithoutContentIsAnInvalidResponse() throws {
        let layer = try LayerARN(layerA)
        let bodies = [
            "[]", "{}", #"{"Content": {"CodeSha256": "x", "CodeSize": 1}}"#,
            #"{"Content": {"Location": "s3://bucket/key", "CodeSha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "CodeSize": 0}}"#,
            #"{"Content": {"Location": "https://x/?X-Amz-Signature=abc", "CodeSha256": "short", "CodeSize": 0}}"#,
        ]
        for body in bodies {
            let error = #expect(throws: AWSError.self) { try LambdaClient.decode(Data(body.utf8), layer: layer) }
            #expect(error?.code == .invalidResponse)
            #expect(error?.message.contains("abc") == false)
        }
    }
}

/// The value of `X-Amz-Signature` in `url`.
private func signature(of url: String) -> String {
    URLComponents(string: url)?.queryItems?.first { $0.name == "X-Amz-Signature" }?.value ?? "no signature"
}
