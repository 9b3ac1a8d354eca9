import Foundation
import PrewarmImage
import PrewarmOCI
import PrewarmPlan
import PrewarmSupport

/// Pushes a run's images from the OCI store to a registry repository (`--push REGISTRY/REPO`):
/// each function's image as the tag `<function>-<arch>`, and for a function built for several
/// architectures also an OCI image index, tagged `<function>`, holding them all. Blobs the
/// registry already has are not sent again.
package struct ImagePublisher: Sendable {
    package let store: OCIStore
    package let client: RegistryClient
    package let repository: ImageReference

    package init(store: OCIStore, client: RegistryClient, repository: ImageReference) {
        self.store = store
        self.client = client
        self.repository = repository
    }

    /// A tag pushed, and what it holds (``PushedImage``).
    package typealias Pushed = PushedImage

    /// Pushes every function image of `plan` whose node succeeded.
    ///
    /// - Returns: what was pushed, in plan order.
    package func publish(_ plan: Plan, outcomes: [NodeID: NodeOutcome]) async throws -> [Pushed] {
        var pushed: [Pushed] = []
        var byFunction: [(name: String, images: [(OCIDescriptor, Architecture)])] = []
        for function in plan.functions {
            guard case .succeeded = outcomes[function.nodeID] else { continue }
            guard let descriptor = try store.descriptor(named: function.image) else {
                throw EngineError(.notFound, "cannot push \(function.image): the OCI store has no such image")
            }
            let tag = Self.tag(for: function.name, architecture: function.architecture)
            var image = try await client.push(
                manifestDigest: descriptor.digest, from: store, to: repository.withTag(tag))
            image.platform = OCIPlatform(architecture: function.architecture.ociArchitecture)
            pushed.append(
                Pushed(
                    reference: repository.withTag(tag).description, digest: image.digest,
                    platforms: [function.architecture.platform]))
            if let index = byFunction.firstIndex(where: { $0.name == function.name }) {
                byFunction[index].images.append((image, function.architecture))
            } else {
                byFunction.append((function.name, [(image, function.architecture)]))
            }
        }
        for (name, images) in byFunction where images.count > 1 {
            let tag = Self.tag(for: name, architecture: nil)
            let index = try await client.pushIndex(images.map(\.0), to: repository.withTag(tag))
            pushed.append(
                Pushed(
                    reference: repository.withTag(tag).description, digest: index.digest,
                    platforms: images.map(\.1.platform)))
        }
        return pushed
    }

    /// A valid tag for a function (and architecture): `Orders/PlaceOrder` → `Orders-PlaceOrder-arm64`.
    package static func tag(for function: String, architecture: Architecture?) -> String {
        var text = function.map { character -> Character in
            character.isASCII && (character.isLetter || character.isNumber || "_.-".contains(character))
                ? character : "-"
        }
        if text.first == "." || text.first == "-" { text.insert("_", at: 0) }
        let suffix = architecture.map { "-\($0.rawValue)" } ?? ""
        return String(String(text).prefix(128 - suffix.count)) + suffix
    }
}

/// A tag pushed to the `push` repository, and what it holds.
public struct PushedImage: Sendable, Hashable {
    /// The tag's reference (`registry/repository:tag`).
    public var reference: String
    /// The digest of the manifest or index pushed.
    public var digest: String
    /// The platforms: one for an image, several for an index.
    public var platforms: [String]
}
