import Foundation
import PrewarmAWS
import PrewarmArchive
import PrewarmLayers
import PrewarmPlan
import PrewarmSupport

/// Layers for a build: template layers read where they are (a directory) or extracted once into the layer
/// cache (a zip); layers by ARN taken from the cache when it holds them verified, else looked up with Lambda
/// `GetLayerVersion`, downloaded, checked against `Content.CodeSha256` and extracted into the cache.
///
/// The scheduler runs one layer node per distinct layer, so however many functions and architectures use
/// an ARN, it is looked up and downloaded once; `LayerStore`'s locks make that also hold across processes.
package struct LayerFetcher: LayerProvider {
    package let store: LayerStore
    /// Lambda, for layers the cache does not hold; `nil` when the plan needs none (no credentials were asked).
    /// Downloads go through its HTTP client, which carries the AWS CA bundle.
    package let lambda: LambdaClient?
    /// Layers already verified in the cache before the run started (see `verifiedLayers`), by SAM name, so
    /// that they are not hashed twice.
    package let verified: [String: CachedLayer]

    package init(store: LayerStore, lambda: LambdaClient?, verified: [String: CachedLayer] = [:]) {
        self.store = store
        self.lambda = lambda
        self.verified = verified
    }

    /// The cache's copy of every ARN layer of `graph` it holds, by SAM name; the layers missing from it are
    /// those that need Lambda (and so credentials). A directory SAM CLI downloaded itself is used as SAM
    /// uses it, without credentials: it is among `verified` with `verifiedByPrewarm` `false`, and the build
    /// says so. `known` are layers verified in this process already (the template layers `--for-sam` has
    /// just installed), by SAM name: they are taken as they are, not hashed again.
    package static func verifiedLayers(
        of graph: BuildGraph, in store: LayerStore, known: [String: CachedLayer] = [:]
    ) -> (verified: [String: CachedLayer], missing: [LayerARN]) {
        var verified: [String: CachedLayer] = [:]
        var missing: [LayerARN] = []
        for node in graph.nodes {
            guard case .layer(.arn(let arn)) = node.payload else { continue }
            if let layer = known[arn.samName] ?? store.cached(named: arn.samName)
                ?? store.samDownloaded(named: arn.samName)
            {
                verified[arn.samName] = layer
            } else {
                missing.append(arn)
            }
        }
        return (verified, missing)
    }

    package func prepare(_ source: BuildGraph.LayerSource) async throws -> PreparedLayer {
        switch source {
        case .local(let path):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw LayerStoreError(
                    .notFound, "layer content \(path) does not exist: check the layer's ContentUri")
            }
            if isDirectory.boolValue {
                return PreparedLayer(directory: path, digest: try ContentDigest.directory(path), fetched: false)
            }
            let layer = try await store.localZip(path: path)
            return PreparedLayer(directory: layer.path, digest: layer.contentDigest, fetched: false)
        case .arn(let arn):
            if let layer = verified[arn.samName] ?? store.cached(named: arn.samName)
                ?? store.samDownloaded(named: arn.samName)
            {
                return PreparedLayer(directory: layer.path, digest: layer.contentDigest, fetched: false)
            }
            guard let lambda else {
                throw LayerStoreError(
                    .notFound,
                    "layer \(arn.text) is no longer in the layer cache \(store.baseDirectory); run the build again "
                        + "to download it")
            }
            let content = try await lambda.getLayerVersion(arn)
            let layer = try await store.layer(
                named: arn.samName, expectedSHA256: content.codeSHA256Hex, download: content.location,
                client: lambda.http)
            return PreparedLayer(directory: layer.path, digest: layer.contentDigest, fetched: true)
        }
    }
}
