import Foundation
import PrewarmSupport

/// The media types and JSON documents of an OCI image layout (image-spec 1.1), as `OCIStore`
/// writes and reads them. Unknown fields of documents read from elsewhere are not kept, except
/// in image configurations (``OCIImageConfiguration``), which keep them so that a base's settings
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

    /// The types of a list of manifests, one per platform.
    public static let indexes: Set<String> = [imageIndex, dockerManifestList]
    /// The types of a single image's manifest.
    public static let manifests: Set<String> = [imageManifest, dockerManifest]
    /// The `Accept` field of a manifest request to a registry: every type above.
    static let acceptedManifests = [imageIndex, imageManifest, dockerManifestList, dockerManifest].joined(
        separator: ", ")

    /// Whether `mediaType` is a list of manifests (an OCI index or a Docker manifest list).
    public static func isIndex(_ mediaType: String?) -> Bool {
        mediaType.map(indexes.contains) ?? false
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

/// A platform, as image indexes and configurations name it: `linux/amd64`, `linux/arm64/v8`.
public struct OCIPlatform: Codable, Sendable, Hashable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var variant: String?

    public init(os: String = "linux", architecture: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// Reads `os/architecture[/variant]`.
    ///
    /// - Throws: `RegistryError` with code `.invalidReference` for any other form.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), !parts.contains(where: \.isEmpty) else {
            throw RegistryError(
                .invalidReference, "cannot read platform '\(text)': write os/architecture, e.g. linux/arm64")
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// Whether an image for `offered` runs here: same OS and architecture, and the same variant when both
    /// name one (arm64's `v8` is the only arm64 variant, so a missing one matches it).
    public func accepts(_ offered: OCIPlatform) -> Bool {
        guard os == offered.os, architecture == offered.architecture else { return false }
        guard let variant, let other = offered.variant else { return true }
        return variant == other
    }

    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }
}

/// A reference to a blob: what it is, its digest and size.
public struct OCIDescriptor: Codable, Sendable, Hashable {
    public var mediaType: String
    public var digest: String
    public var size: Int64
    /// For a manifest in an index: the platform it is for.
    public var platform: OCIPlatform?
    public var annotations: [String: String]?

    public init(
        mediaType: String, digest: String, size: Int64, platform: OCIPlatform? = nil,
        annotations: [String: String]? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }
}

/// An image manifest: a configuration and layers (OCI, or Docker's schema 2, which has the same shape).
public struct OCIManifest: Codable, Sendable, Hashable {
    public var schemaVersion: Int = 2
    public var mediaType: String?
    public var config: OCIDescriptor
    public var layers: [OCIDescriptor]
    public var annotations: [String: String]?

    public init(
        mediaType: String? = OCIMediaType.imageManifest, config: OCIDescriptor, layers: [OCIDescriptor],
        annotations: [String: String]? = nil
    ) {
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }
}

/// An image index (or Docker manifest list): manifests, one per platform; `index.json` of a layout.
public struct OCIIndex: Codable, Sendable, Hashable {
    public var schemaVersion: Int = 2
    public var mediaType: String?
    public var manifests: [OCIDescriptor]
    public var annotations: [String: String]?

    public init(
        mediaType: String? = OCIMediaType.imageIndex, manifests: [OCIDescriptor], annotations: [String: String]? = nil
    ) {
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }
}

package enum OCIJSON {
    /// Canonical bytes: sorted keys, no escaped slashes, so that equal documents have equal digests.
    package static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(value)
        } catch {
            throw RegistryError(.io, "cannot encode an OCI document", cause: error)
        }
    }

    package static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw RegistryError(.invalidDocument, "\(what) is not a valid OCI document", cause: error)
        }
    }
}
