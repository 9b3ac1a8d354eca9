import Foundation
import PrewarmAWS
import PrewarmHTTP
import PrewarmLayers
import PrewarmPlan

extension BuildSession.Planned {
    /// The layer cache, and Lambda when some layer by ARN is not in it: credentials and endpoint are
    /// resolved here, before any work starts, so that a missing credential is one error naming the layer.
    ///
    /// - Throws: `BuildSessionError` with code `.credentials` (its `cause` is the `AWSError`).
    func prepareLayers(events: @Sendable (BuildEvent) -> Void) async throws -> LayerFetcher {
        let environment = configuration.environment
        let store = LayerStore(
            baseDirectory: configuration.resolvedLayerCacheDirectory, maxExpandedSize: configuration.inputs.maxLayerSize
        )
        let (verified, missing) = LayerFetcher.verifiedLayers(
            of: plan.graph, in: store, known: samReady?.installedLayers ?? [:])
        for layer in verified.values.sorted(by: { $0.name < $1.name }) where !layer.verifiedByPrewarm {
            events(
                .note(
                    """
                    layers: \(layer.name): used as SAM CLI downloaded it into \(store.baseDirectory); not verified \
                    by prewarm (no record of its zip's SHA-256)
                    """))
        }
        guard let first = missing.first else {
            return LayerFetcher(store: store, lambda: nil, verified: verified)
        }
        let aws = AWSEnvironment(environment: environment)
        do {
            let credentials = try await aws.resolveCredentials(for: first.text)
            for layer in missing { _ = try aws.lambdaEndpoint(region: layer.region) }
            let http = HTTPClient(configuration: try aws.httpConfiguration())
            let lambda = LambdaClient(http: http, credentials: credentials, environment: aws)
            events(
                .layerDownloads(
                    count: missing.count, first: first.samName, credentialSource: credentials.source,
                    cacheDirectory: store.baseDirectory))
            return LayerFetcher(store: store, lambda: lambda, verified: verified)
        } catch let error as AWSError {
            throw BuildSessionError(.credentials, "\(error.message)", cause: error)
        }
    }
}
