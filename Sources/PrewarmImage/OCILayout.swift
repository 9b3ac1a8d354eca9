import Foundation

/// The media types and JSON documents of an OCI image layout (image-spec 1.1), as `OCIStore`
/// writes and reads them. Unknown fields of documents read from elsewhere are not kept, except
/// in image configurations, which are handled as dictionaries so that a base's settings
/// survive untouched.
public enum OCIMediaType {
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let imageConfig = "application/vnd.oci.image.config.v1+json"
    /// An uncompressed layer: what prewarm writes (its digest is its diff ID).
    public static let layer = "application/vnd.oci.image.layer.v1.tar"
    public static let layerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

    /// Whether `mediaType` is a list of manifests (an OCI index or a Docker manifest list).
    public static func isIndex(_ mediaType: String?) -> Bool {
        mediaType == imageIndex || mediaType == dockerManifestList
    }
}

/// The annotations that name an image in `index.json`.
public enum OCIAnnotation {
    /// The full name (`repository:tag`), as containerd and nerdctl write it; how `OCIStore` looks
    /// images up.
    public static let imageName = "io.containerd.image.name"
    /// The OCI convention: the tag alone.
    public static let refName = "org.opencontainers.image.ref.name"
}

/// The platform of a manifest in an index.
public struct OCIPlatform: Codable, Sendable, Hashable {
    public var architecture: String
    public var os: String
    public var variant: String?

    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// `linux/arm64` or `linux/arm64/v8` → its parts; `nil` for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/").map(String.init)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        self.init(architecture: parts[1], os: parts[0], variant: parts.count == 3 ? parts[2] : nil)
    }
}

/// A reference to a blob: what it is, its digest and size.
public struct OCIDescriptor: Codable, Sendable, Hashable {
    public var mediaType: String
    public var digest: String
    public var size: Int64
    public var annotations: [String: String]?
    public var platform: OCIPlatform?

    public init(
        mediaType: String, digest: String, size: Int64, annotations: [String: String]? = nil,
        platform: OCIPlatform? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }
}

/// An image manifest: a configuration and layers, bottom first.
public struct OCIManifest: Codable, Sendable, Hashable {
    public var schemaVersion: Int = 2
    public var mediaType: String?
    public var config: OCIDescriptor
    public var layers: [OCIDescriptor]
    public var annotations: [String: String]?

    public init(config: OCIDescriptor, layers: [OCIDescriptor], mediaType: String? = OCIMediaType.imageManifest) {
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
    }
}

/// An image index (also the layout's `index.json`): a list of manifests.
public struct OCIIndex: Codable, Sendable, Hashable {
    public var schemaVersion: Int = 2
    public var mediaType: String?
    public var manifests: [OCIDescriptor]
    public var annotations: [String: String]?

    public init(manifests: [OCIDescriptor], mediaType: String? = OCIMediaType.imageIndex) {
        self.mediaType = mediaType
        self.manifests = manifests
    }
}

enum OCIJSON {
    /// Canonical bytes: sorted keys, no escaped slashes, so that equal documents have equal digests.
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            throw ImageError(.io, "cannot encode an OCI document", cause: error)
        }
    }

    static func encode(dictionary: [String: Any]) throws -> Data {
        try encode(object: dictionary)
    }

    static func encode(object: Any) throws -> Data {
        do {
            return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw ImageError(.io, "cannot encode an image configuration", cause: error)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ImageError(.layerContent, "\(what) is not a valid OCI document", cause: error)
        }
    }

    static func dictionary(_ data: Data, what: String) throws -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ImageError(.layerContent, "\(what) is not a JSON object")
        }
        return object
    }
}
