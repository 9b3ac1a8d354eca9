import Foundation
import PrewarmOCI
import PrewarmSupport

/// An image as an engine lists it for cleanup.
public struct ImageSummary: Sendable, Hashable {
    /// `sha256:…`
    public var id: String
    /// Its names (`repository:tag`), without Podman's `docker.io/` prefix; empty for a dangling image.
    public var names: [String]
    public var labels: [String: String]
    /// Seconds since 1970 the engine says the image was created.
    public var created: Int64
    /// Bytes.
    public var size: Int64

    public init(id: String, names: [String], labels: [String: String], created: Int64, size: Int64) {
        self.id = id
        self.names = names
        self.labels = labels
        self.created = created
        self.size = size
    }

    /// Whether no name holds it (Docker lists it as `<none>:<none>`).
    public var isDangling: Bool { names.isEmpty }
}

/// What to build as `sam local` builds an Image function's image on every invoke (see
/// ``ImageEngine/buildAsSAM(_:output:)`` and `SAMDockerfileContext`).
public struct SAMImageBuildRequest: Sendable, Hashable {
    /// The name `sam local` builds.
    public var name: String
    /// The base image SAM's Dockerfile starts `FROM`.
    public var baseImage: String
    /// The directory holding `aws-lambda-rie-x86_64` and `aws-lambda-rie-arm64`.
    public var emulatorDirectory: String
    /// SAM's name of the architecture: `x86_64` or `arm64`.
    public var architecture: String
    /// The platform the image is for.
    public var platform: OCIPlatform
    /// Where the engine writes the context it sends; it removes it when the build ends.
    public var workDirectory: String

    public init(
        name: String, baseImage: String, emulatorDirectory: String, architecture: String, platform: OCIPlatform,
        workDirectory: String
    ) {
        self.name = name
        self.baseImage = baseImage
        self.emulatorDirectory = emulatorDirectory
        self.architecture = architecture
        self.platform = platform
        self.workDirectory = workDirectory
    }
}

/// A piece of an engine's own storage that no named image needs (see
/// ``ImageEngine/unneededContent(olderThan:)``).
public struct StoredContent: Sendable, Hashable {
    /// What kind of piece it is.
    public enum Kind: String, Sendable, Hashable {
        /// Content by digest (an OCI store's blob).
        case blob
        /// What a killed write left behind.
        case leftover
    }

    public var kind: Kind
    /// Its digest (`sha256:…`) for a blob, its path for a leftover.
    public var name: String
    public var bytes: Int64

    public init(kind: Kind, name: String, bytes: Int64) {
        self.kind = kind
        self.name = name
        self.bytes = bytes
    }
}

/// What ``ImageEngine/removeUnneededContent(olderThan:)`` removed.
public struct ContentRemoval: Sendable, Hashable {
    /// Pieces of content (blobs) removed; leftovers of killed writes are not counted.
    public var removed: Int
    /// Bytes freed, leftovers included.
    public var freedBytes: Int64

    public init(removed: Int, freedBytes: Int64) {
        self.removed = removed
        self.freedBytes = freedBytes
    }
}

// The defaults of the capabilities: what an engine that does not have them does.
extension ImageEngine {
    public func close() {}

    public var sharesImagesWithSAM: Bool { false }

    public var buildsAsSAM: Bool { false }

    public func buildAsSAM(_ request: SAMImageBuildRequest, output: @escaping @Sendable (String) -> Void) async throws
        -> EngineImage
    {
        throw EngineError(.buildFailed, "\(description) cannot build \(request.name) as SAM CLI does")
    }

    public func clock() async throws -> Date? { nil }

    public var buildMethod: String? { nil }

    public var storageDirectory: String? { nil }

    public var standInCleanup: String { "`prewarm gc --stand-ins`" }

    public func images(labeled label: String) async throws -> [ImageSummary] { [] }

    public func allImages() async throws -> [ImageSummary] { [] }

    public func removeImage(id: String) async throws {
        throw EngineError(.engine, "\(description) removes images only by name, not \(id)")
    }

    public func namesOfStandIns() async throws -> [String] {
        var names: [String] = []
        for summary in try await allImages() {
            guard let first = summary.names.first, let image = try await image(named: first), image.isStandIn
            else { continue }
            names += summary.names
        }
        return names.sorted()
    }

    public func unneededContent(olderThan gracePeriod: TimeInterval) async throws -> [StoredContent]? { nil }

    public func removeUnneededContent(olderThan gracePeriod: TimeInterval) async throws -> ContentRemoval? { nil }
}
