import PrewarmArchive
import PrewarmLayers
import PrewarmPlan
import PrewarmSupport

/// A layer's files, ready to go into images.
package struct PreparedLayer: Sendable, Hashable {
    /// The directory holding the layer's files (what goes under `/opt`).
    package var directory: String
    /// `sha256:…` of the directory's content (`ContentDigest.directory`): what image build keys use.
    package var digest: String
    /// Whether this run had to fetch or extract it (`false`: it was already there and verified).
    package var fetched: Bool

    package init(directory: String, digest: String, fetched: Bool) {
        self.directory = directory
        self.digest = digest
        self.fetched = fetched
    }
}

/// Makes a layer's files available as a directory: reads a template layer, or downloads,
/// verifies and extracts a layer by ARN.
package protocol LayerProvider: Sendable {
    func prepare(_ source: BuildGraph.LayerSource) async throws -> PreparedLayer
}

/// Template layers that are directories, read where they are; nothing else.
package struct TemplateLayerProvider: LayerProvider {
    package init() {}

    package func prepare(_ source: BuildGraph.LayerSource) async throws -> PreparedLayer {
        switch source {
        case .local(let path):
            return PreparedLayer(directory: path, digest: try ContentDigest.directory(path), fetched: false)
        case .arn(let arn):
            throw LayerStoreError(
                .unsupported, "layer \(arn.text): this build was set up without a way to download layers by ARN")
        }
    }
}
