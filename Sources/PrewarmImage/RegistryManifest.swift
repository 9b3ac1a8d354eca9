import Foundation

/// The media types of the OCI image specification and of Docker's image manifest v2, schema 2.
public enum RegistryMediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"

    /// The types of a list of manifests, one per platform.
    public static let indexes: Set<String> = [ociIndex, dockerManifestList]
    /// The types of a single image's manifest.
    public static let manifests: Set<String> = [ociManifest, dockerManifest]

    /// The `Accept` field of a manifest request: every type above.
    static let acceptedManifests = [ociIndex, ociManifest, dockerManifestList, dockerManifest].joined(separator: ", ")
}

/// A platform as image indexes name it: `linux/amd64`, `linux/arm64/v8`.
public struct RegistryPlatform: Codable, Sendable, Hashable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    public init(os: String = "linux", architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Reads `os/architecture[/variant]`.
    ///
    /// - Throws: `ImageError` with code `.invalidReference` for any other form.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), !parts.contains(where: \.isEmpty) else {
            throw ImageError(
                .invalidReference, "cannot read platform '\(text)': write os/architecture, e.g. linux/arm64")
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// Whether an image for `offered` runs here: same OS and architecture, and the same variant when both
    /// name one (arm64's `v8` is the only arm64 variant, so a missing one matches it).
    public func accepts(_ offered: RegistryPlatform) -> Bool {
        guard os == offered.os, architecture == offered.architecture else { return false }
        guard let variant, let other = offered.variant else { return true }
        return variant == other
    }

    private enum CodingKeys: String, CodingKey {
        case os, architecture, variant
    }

    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }
}

/// A descriptor: what a manifest or an index says about a piece of content.
public struct RegistryDescriptor: Codable, Sendable, Hashable {
    public var mediaType: String
    /// `sha256:<hex>` of the content.
    public var digest: String
    /// The content's size in bytes.
    public var size: Int64
    /// The platform of a manifest listed in an index.
    public var platform: RegistryPlatform?
    public var annotations: [String: String]?

    public init(
        mediaType: String, digest: String, size: Int64, platform: RegistryPlatform? = nil,
        annotations: [String: String]? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }
}

/// An image manifest (OCI, or Docker v2 schema 2): the configuration and the layers, in order.
public struct RegistryImageManifest: Codable, Sendable, Hashable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: RegistryDescriptor
    public var layers: [RegistryDescriptor]
    public var annotations: [String: String]?

    public init(
        mediaType: String = RegistryMediaType.ociManifest, config: RegistryDescriptor, layers: [RegistryDescriptor],
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}

/// An image index (OCI) or manifest list (Docker): one manifest per platform.
public struct RegistryImageIndex: Codable, Sendable, Hashable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [RegistryDescriptor]
    public var annotations: [String: String]?

    public init(
        mediaType: String = RegistryMediaType.ociIndex, manifests: [RegistryDescriptor],
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }
}

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
    public var descriptor: RegistryDescriptor {
        RegistryDescriptor(mediaType: mediaType, digest: digest, size: Int64(data.count))
    }

    /// Whether this is an index or manifest list.
    public var isIndex: Bool { RegistryMediaType.indexes.contains(mediaType) }

    /// The image manifest.
    ///
    /// - Throws: `ImageError` with code `.registry` when the content is not one.
    public func imageManifest() throws -> RegistryImageManifest {
        try decode(RegistryImageManifest.self, "an image manifest")
    }

    /// The index or manifest list.
    ///
    /// - Throws: `ImageError` with code `.registry` when the content is not one.
    public func imageIndex() throws -> RegistryImageIndex {
        try decode(RegistryImageIndex.self, "an image index")
    }

    private func decode<T: Decodable>(_ type: T.Type, _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ImageError(.registry, "manifest \(digest) (\(mediaType)) is not \(what)", cause: error)
        }
    }

    /// The content's media type: `mediaType` from the document, when `contentType` is missing or generic.
    static func mediaType(of data: Data, contentType: String?) -> String {
        let declared = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
        if let declared, RegistryMediaType.indexes.contains(declared) || RegistryMediaType.manifests.contains(declared)
        {
            return declared
        }
        struct Probe: Decodable {
            var mediaType: String?
            var manifests: [RegistryDescriptor]?
        }
        let probe = try? JSONDecoder().decode(Probe.self, from: data)
        if let type = probe?.mediaType { return type }
        return probe?.manifests != nil ? RegistryMediaType.ociIndex : (declared ?? RegistryMediaType.ociManifest)
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
