import Foundation
import PrewarmHTTP
import PrewarmSupport

/// What Lambda's `GetLayerVersion` says about a layer version's content.
///
/// `location` is a pre-signed S3 URL: whoever holds it may download the layer for some minutes, so it is a
/// secret. `description` shows it redacted (see ``URLRedaction``); never print `location` itself.
public struct LayerVersionContent: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The layer version's ARN, as Lambda returned it.
    public var layerVersionARN: String
    /// `Content.Location`: the pre-signed URL of the layer's zip. Never print it; use ``redactedLocation``.
    public var location: String
    /// `Content.CodeSha256`: the SHA-256 of the zip, in base64 as Lambda gives it.
    public var codeSHA256Base64: String
    /// The same SHA-256 as 64 lowercase hexadecimal digits, as ``PrewarmHTTP/DownloadedFile/sha256`` has it.
    public var codeSHA256Hex: String
    /// `Content.CodeSize`: the size of the zip in bytes.
    public var codeSize: Int64

    /// ``location`` with its signature and credential replaced by `REDACTED`, for messages.
    public var redactedLocation: String { URLRedaction.redact(location) }

    public var description: String {
        "\(layerVersionARN): \(codeSize) bytes, sha256 \(codeSHA256Hex), at \(redactedLocation)"
    }

    public var debugDescription: String { description }
}

/// A client of the Lambda API, for `GetLayerVersion`.
///
/// Each layer is asked for in its own region (the ARN's), at ``AWSEnvironment/lambdaEndpoint(region:)``,
/// signed with SigV4 for the service `lambda`. Transient failures (5xx, 429, lost connections, timeouts) are
/// retried under `retryPolicy`, signing each attempt anew.
///
/// ```swift
/// let environment = AWSEnvironment()
/// let credentials = try await environment.resolveCredentials(for: arn)  // before any work starts
/// let http = HTTPClient(configuration: try environment.httpConfiguration())
/// let lambda = LambdaClient(http: http, credentials: credentials, environment: environment)
/// let content = try await lambda.getLayerVersion(try LayerARN(arn))
/// let file = try await http.download(HTTPRequest(url: content.location), to: temporaryPath).requireSuccess()
/// ```
public struct LambdaClient: Sendable {
    /// The client requests go through; its configuration should carry ``AWSEnvironment/caBundlePath()``.
    public let http: HTTPClient
    /// Who signs.
    public let credentials: AWSCredentials
    /// Where endpoints come from.
    public let environment: AWSEnvironment
    /// How transient failures are retried.
    public let retryPolicy: RetryPolicy
    private let now: @Sendable () -> Date

    /// - Parameter now: the clock signatures are dated by; the system's by default.
    public init(
        http: HTTPClient, credentials: AWSCredentials, environment: AWSEnvironment,
        retryPolicy: RetryPolicy = .default, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.http = http
        self.credentials = credentials
        self.environment = environment
        self.retryPolicy = retryPolicy
        self.now = now
    }

    /// Asks Lambda for the layer version `arn` (a string): see ``getLayerVersion(_:)-(LayerARN)``.
    ///
    /// - Throws: ``AWSError`` with code ``AWSError/Code/invalidLayerARN`` when `arn` is malformed, and
    ///   everything ``getLayerVersion(_:)-(LayerARN)`` throws.
    public func getLayerVersion(arn: String) async throws -> LayerVersionContent {
        let layer: LayerARN
        do {
            layer = try LayerARN(arn)
        } catch {
            throw AWSError(error)
        }
        return try await getLayerVersion(layer)
    }

    /// Asks Lambda for the layer version `layer`: `GET /2018-10-31/layers/LAYER-ARN/versions/N`.
    ///
    /// - Returns: where to download the layer's zip, and its size and SHA-256.
    /// - Throws: ``AWSError`` whose message names the layer ARN: ``AWSError/Code/accessDenied`` when AWS
    ///   refuses the credentials or the permission `lambda:GetLayerVersion`; ``AWSError/Code/notFound`` when
    ///   the version does not exist or is not shared with the caller; ``AWSError/Code/transient`` when the
    ///   failure was still transient after the retries; ``AWSError/Code/requestFailed`` for other failures;
    ///   ``AWSError/Code/invalidResponse`` for a 2xx answer without a usable `Content`. `CancellationError`
    ///   when the task is cancelled.
    public func getLayerVersion(_ layer: LayerARN) async throws -> LayerVersionContent {
        let endpoint = try environment.lambdaEndpoint(region: layer.region)
        let url =
            "\(endpoint)/2018-10-31/layers/\(SigV4Signer.uriEncode(layer.layerARN))/versions/\(layer.version)"
        let signer = SigV4Signer(credentials: credentials, region: layer.region, service: "lambda")
        var attempts = 0
        let response: HTTPResponse
        do {
            response = try await retryPolicy.run { _ in
                attempts += 1
                let signed = try signer.sign(HTTPRequest(url: url), date: now())
                let response = try await http.execute(signed)
                if retryPolicy.transientStatuses.contains(response.status) || Self.isThrottling(response) {
                    try response.requireSuccess()
                }
                return response
            }
        } catch let error as HTTPError {
            throw failure(error, layer: layer, attempts: attempts)
        }
        guard response.isSuccess else { throw refusal(response, layer: layer) }
        return try Self.decode(response.body, layer: layer)
    }

    /// Whether a response that is not a retried status still says "slow down" (Lambda answers some
    /// throttling with 400).
    private static func isThrottling(_ response: HTTPResponse) -> Bool {
        guard !response.isSuccess else { return false }
        return ["ThrottlingException", "TooManyRequestsException"].contains(LambdaErrorBody(response).type)
    }

    private func failure(_ error: HTTPError, layer: LayerARN, attempts: Int) -> AWSError {
        let call = "GetLayerVersion for layer \(layer)"
        if retryPolicy.isTransient(error) {
            let tries = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
            return AWSError(.transient, "\(call) failed after \(tries): \(error.message); try again later")
        }
        let hint =
            error.code == .tls
            ? "check AWS_CA_BUNDLE and the endpoint's certificate"
            : "check the Lambda endpoint (AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL) and the network"
        return AWSError(.requestFailed, "\(call) failed: \(error.message); \(hint)")
    }

    private func refusal(_ response: HTTPResponse, layer: LayerARN) -> AWSError {
        let body = LambdaErrorBody(response)
        let detail = [body.type, body.message].compactMap { $0 }.joined(separator: ": ")
        let said = "\(response.status)\(detail.isEmpty ? "" : " \(detail)")"
        let denied: Set<String> = [
            "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
            "ExpiredTokenException", "MissingAuthenticationTokenException", "InvalidClientTokenId",
            "SignatureDoesNotMatch", "AuthFailure",
        ]
        if response.status == 401 || response.status == 403 || body.type.map(denied.contains) == true {
            return AWSError(
                .accessDenied,
                "AWS refused GetLayerVersion for layer \(layer) (\(said)): check that the credentials "
                    + "(\(credentials.source)) are valid and allow lambda:GetLayerVersion on this layer")
        }
        if response.status == 404 || body.type == "ResourceNotFoundException" {
            return AWSError(
                .notFound,
                "layer version \(layer) was not found (\(said)): check the layer's name, version and region, "
                    + "and that its account shares it with yours")
        }
        return AWSError(.requestFailed, "GetLayerVersion for layer \(layer) failed (\(said))")
    }

    /// The `LayerVersionContent` in a 2xx body.
    static func decode(_ body: Data, layer: LayerARN) throws -> LayerVersionContent {
        func invalid(_ problem: String) -> AWSError {
            AWSError(
                .invalidResponse,
                "GetLayerVersion for layer \(layer) answered without a usable layer: \(problem); "
                    + "check the Lambda endpoint (AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw invalid("the body is not a JSON object")
        }
        guard let content = object["Content"] as? [String: Any] else { throw invalid("no Content") }
        guard let location = content["Location"] as? String, !location.isEmpty else {
            throw invalid("no Content.Location")
        }
        guard location.hasPrefix("https://") || location.hasPrefix("http://") else {
            throw invalid("Content.Location is not an http(s) URL: \(URLRedaction.redact(location))")
        }
        guard let base64 = content["CodeSha256"] as? String, let digest = Data(base64Encoded: base64),
            digest.count == 32
        else { throw invalid("Content.CodeSha256 is not a base64 SHA-256") }
        guard let size = (content["CodeSize"] as? NSNumber)?.int64Value, size >= 0 else {
            throw invalid("no Content.CodeSize")
        }
        return LayerVersionContent(
            layerVersionARN: object["LayerVersionArn"] as? String ?? layer.text, location: location,
            codeSHA256Base64: base64, codeSHA256Hex: Hex.string(digest), codeSize: size)
    }
}

/// The error type and message of a Lambda error response: the `X-Amzn-ErrorType` field (before any `:`),
/// else the body's `__type` (after any `#`) or `code`; the body's `message` or `Message`.
struct LambdaErrorBody {
    var type: String?
    var message: String?

    init(_ response: HTTPResponse) {
        let object = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        if let header = response.headers["X-Amzn-ErrorType"], let name = header.split(separator: ":").first {
            type = String(name)
        } else if let name = (object["__type"] as? String ?? object["code"] as? String)?.split(separator: "#").last {
            type = String(name)
        }
        if let text = object["message"] as? String ?? object["Message"] as? String {
            message = String(text.split(whereSeparator: \.isWhitespace).joined(separator: " ").prefix(300))
        }
    }
}
