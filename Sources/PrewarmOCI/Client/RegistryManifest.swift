import Foundation
import PrewarmSupport

/// A manifest or index as a registry served it: its exact bytes (which its digest covers), its type and
/// digest.
public struct RegistryManifestContent: Sendable, Hashable {
    /// The bytes as served.
    public var data: Data
    /// The media type, from `Content-Type` or, failing that, the document's `mediaType`.
    public var mediaType: String
    /// `sha256:<hex>` of `data`.
    public var digest: String

    /// The descriptor of this content (without a platform).
    public var descriptor: OCIDescriptor {
        OCIDescriptor(mediaType: mediaType, digest: digest, size: Int64(data.count))
    }

    /// Whether this is an index or manifest list.
    public var isIndex: Bool { OCIMediaType.indexes.contains(mediaType) }

    /// The image manifest.
    ///
    /// - Throws: `RegistryError` with code `.registry` when the content is not one.
    public func imageManifest() throws -> OCIManifest {
        try decode(OCIManifest.self, "an image manifest")
    }

    /// The index or manifest list.
    ///
    /// - Throws: `RegistryError` with code `.registry` when the content is not one.
    public func imageIndex() throws -> OCIIndex {
        try decode(OCIIndex.self, "an image index")
    }

    private func decode<T: Decodable>(_ type: T.Type, _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw RegistryError(.registry, "manifest \(digest) (\(mediaType)) is not \(what)", cause: error)
        }
    }

    /// The content's media type: `mediaType` from the document, when `contentType` is missing or generic.
    static func mediaType(of data: Data, contentType: String?) -> String {
        let declared = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
        if let declared, OCIMediaType.indexes.contains(declared) || OCIMediaType.manifests.contains(declared) {
            return declared
        }
        struct Probe: Decodable {
            var mediaType: String?
            var manifests: [OCIDescriptor]?
        }
        let probe = try? JSONDecoder().decode(Probe.self, from: data)
        if let type = probe?.mediaType { return type }
        return probe?.manifests != nil ? OCIMediaType.imageIndex : (declared ?? OCIMediaType.imageManifest)
    }
}

extension JSONEncoder {
    /// Encodes manifests as registries and skopeo expect: keys sorted, `/` not escaped.
    static var manifest: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
