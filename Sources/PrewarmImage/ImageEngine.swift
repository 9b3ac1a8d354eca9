import Foundation
import PrewarmOCI

/// An image as an engine holds it.
public struct EngineImage: Sendable, Hashable {
    /// The image ID (`sha256:…`, the digest of its configuration).
    public var id: String
    /// Its names (`repository:tag`), as `sam local` would write them: without the `docker.io/`
    /// prefix that Podman adds.
    public var names: [String]
    public var labels: [String: String]
    /// The OCI architecture: `amd64` or `arm64`.
    public var architecture: String
    /// The blobs of the engine's own store that the build that returned this image found damaged (not
    /// hashing to their names) and wrote again; empty from every other call, and from a Docker engine.
    public var rewrittenBlobs: [String] = []
    /// The diff IDs of its layers, base first; empty when the engine does not say.
    public var diffIDs: [String]

    public init(
        id: String, names: [String], labels: [String: String], architecture: String, diffIDs: [String] = []
    ) {
        self.id = id
        self.diffIDs = diffIDs
        self.names = names
        self.labels = labels
        self.architecture = architecture
    }
}

/// What to build: the base image, the emulator and the function's layer directories, for one
/// platform, and what to call the result. The request names sources, never an archive: each
/// engine makes what it sends or stores from them (a Dockerfile context, one layer, one layer
/// per source).
public struct ImageBuildRequest: Sendable, Hashable {
    /// A file or directory that goes into the image, with the digest of its content when the
    /// caller knows it (`ContentDigest.file` or `ContentDigest.directory`), so the engine need
    /// not read it again to recognise content it already holds.
    public struct Source: Sendable, Hashable {
        public var path: String
        public var contentDigest: String?

        public init(path: String, contentDigest: String? = nil) {
            self.path = path
            self.contentDigest = contentDigest
        }
    }

    /// The name `sam local` looks for (`repository:tag`).
    public var name: String
    /// The base image the new layers go on, by the reference `prepareBase` made available. The
    /// engine never pulls it while building.
    public var baseImage: String
    /// The platform the image is for; the base must be of its architecture.
    public var platform: OCIPlatform
    /// The emulator binary (goes to `/var/rapid/aws-lambda-rie`, mode 0755).
    public var emulator: Source
    /// The function's layer directories (each one's files go under `/opt`), in the order applied:
    /// a later layer's file wins over an earlier one's.
    public var layers: [Source]
    /// Labels set on the image (prewarm's content key and version).
    public var labels: [String: String]
    /// Where an engine that sends an archive writes it while it builds; it removes what it wrote
    /// when the build ends, however it ends. An engine that needs no archive ignores it.
    public var workDirectory: String

    public init(
        name: String, baseImage: String, platform: OCIPlatform, emulator: Source, layers: [Source] = [],
        labels: [String: String] = [:], workDirectory: String = FileManager.default.temporaryDirectory.path
    ) {
        self.name = name
        self.baseImage = baseImage
        self.platform = platform
        self.emulator = emulator
        self.layers = layers
        self.labels = labels
        self.workDirectory = workDirectory
    }
}

/// A place where images are built and kept: a Docker-compatible engine (Docker, Podman,
/// Colima, Finch), or prewarm's own OCI store.
///
/// This is the whole contract between prewarm and an engine: the build (PrewarmRun's `BuildSession`),
/// `doctor` and `gc` ask an engine only what its requirements say, never which type it is. The first six
/// requirements are what every engine does; the others are capabilities, each with a default in
/// `ImageEngine+Capabilities.swift` that says the engine does not have it, so that a new engine implements
/// only what it can (see CONTRIBUTING.md, "Adding an engine").
public protocol ImageEngine: Sendable {
    /// Says which engine this is and where, for the first line of a run:
    /// `docker at unix:///var/run/docker.sock (Engine API 1.47)`.
    var description: String { get }

    /// The image named `name`.
    ///
    /// - Returns: `nil` when the engine has no image of that name.
    /// - Throws: `EngineError` when the engine cannot be asked.
    func image(named name: String) async throws -> EngineImage?

    /// Makes the base image `reference` available for `platform`.
    ///
    /// With `pull`, fetches it from its registry (which refreshes a local copy); without, only
    /// looks for a local copy (the OCI store still takes it from a local source such as an OCI
    /// layout).
    /// - Returns: the base image, whose architecture is `platform`'s.
    /// - Throws: `EngineError` with code `.missingBase` when it is absent and may not be pulled,
    ///   when the pull fails, or when the image found is for another architecture.
    func prepareBase(_ reference: String, platform: OCIPlatform, pull: Bool) async throws -> EngineImage

    /// Builds the image of `request`: the base plus the emulator and the layers, with no `RUN`
    /// step, named `request.name` (a name that is already there moves to the new image). The
    /// engine writes whatever it sends from the request's sources, under
    /// `request.workDirectory`, and removes it when done.
    ///
    /// - Parameter output: receives the engine's build output, line by line.
    /// - Returns: the built image.
    /// - Throws: `EngineError` with code `.missingBase` when the base is not in the engine (or is
    ///   of another architecture), `.missingEmulator` when the emulator is not a file,
    ///   `.notFound` when a layer directory is missing, `.io` when an archive cannot be written,
    ///   and `.buildFailed` carrying the engine's message when the build fails (even when the
    ///   engine answered 200 and reported the error in its stream).
    func build(_ request: ImageBuildRequest, output: @escaping @Sendable (String) -> Void) async throws -> EngineImage

    /// Removes the image name `name` (the image itself goes when no other name holds it).
    /// Does nothing when there is no such image.
    ///
    /// - Throws: `EngineError` when the engine cannot be asked or refuses.
    func remove(_ name: String) async throws

    /// The names of every image whose repository is `repository`.
    ///
    /// - Returns: an empty list when there is none.
    /// - Throws: `EngineError` when the engine cannot be asked.
    func names(inRepository repository: String) async throws -> [String]

    // MARK: - Capabilities (each has a default: see ImageEngine+Capabilities.swift)

    /// Lets go of what the engine holds open, once whoever opened it is done (the OCI store folds its
    /// names log and removes its write area); closing twice does nothing, and using the engine afterwards
    /// opens what it needs again. Never throws: what it cannot tidy, the next opener does. Default: nothing.
    func close()

    /// Whether `sam local` looks for its images in this engine and builds its own there (a Docker
    /// engine): a build of a name then races SAM's own, so prewarm holds SAM's build lock for the name
    /// (`SAMBuildLock`) while it builds. Default: `false` (no lock is taken).
    var sharesImagesWithSAM: Bool { get }

    /// Whether ``buildAsSAM(_:output:)`` builds an Image function's image the way `sam local` builds
    /// it on every invoke, so that SAM's own builds are cache hits of the engine's builder. `false`
    /// (the default): such an image is built with ``build(_:output:)`` as any other.
    var buildsAsSAM: Bool { get }

    /// Builds `request.name` from SAM CLI's own Dockerfile and context, as `sam local` does; called
    /// only when ``buildsAsSAM`` is `true`. The engine writes the context under
    /// `request.workDirectory` and removes it when done.
    ///
    /// - Parameter output: receives the engine's build output, line by line.
    /// - Returns: the built image.
    /// - Throws: `EngineError` with code `.buildFailed` when the engine reports an error,
    ///   `.engineUnavailable` when it cannot be reached; the default throws `.buildFailed` (the
    ///   engine cannot).
    func buildAsSAM(_ request: SAMImageBuildRequest, output: @escaping @Sendable (String) -> Void) async throws
        -> EngineImage

    /// The engine's own clock, for `doctor` (AWS refuses signatures more than 5 minutes off).
    ///
    /// - Returns: `nil` (the default) when the engine runs on this machine's clock.
    /// - Throws: `EngineError` when the engine cannot be asked, or says no time that can be read.
    func clock() async throws -> Date?

    /// How the engine builds, in a few words, for `doctor`: `loads prewarm's layer with POST
    /// /images/load`; `nil` (the default) when there is nothing to add to ``description``.
    var buildMethod: String? { get }

    /// The directory on this machine where the engine keeps its images, whose free space `doctor`
    /// checks; `nil` (the default) when they are kept elsewhere (a daemon's own storage).
    var storageDirectory: String? { get }

    /// The command that removes stand-ins (``StandIn``) from this engine, in backticks, for the error
    /// of a build that found one: `` `prewarm gc --stand-ins --engine docker` ``. The default names
    /// `prewarm gc --stand-ins` alone.
    var standInCleanup: String { get }

    /// Every image of the engine that carries the label `label` (any value), dangling ones included,
    /// for `gc` to find what a template's builds left behind.
    ///
    /// - Returns: an empty list when there is none, and (the default) when the engine cannot list its
    ///   images by label: `gc` then removes none.
    /// - Throws: `EngineError` when the engine cannot be asked.
    func images(labeled label: String) async throws -> [ImageSummary]

    /// Every image of the engine, dangling ones included; the default lists none.
    ///
    /// - Throws: `EngineError` when the engine cannot be asked.
    func allImages() async throws -> [ImageSummary]

    /// Removes the image `id` (not forced: an image in use stays, and the refusal is thrown). Does
    /// nothing when there is no such image.
    ///
    /// - Throws: `EngineError` with code `.engine` carrying the engine's reason; the default throws it
    ///   (the engine removes images only by name).
    func removeImage(id: String) async throws

    /// The names that hold a stand-in base or an image built on one (``EngineImage/isStandIn``),
    /// sorted. The default looks at the first name of each of ``allImages()`` and lists all the names
    /// of those that are stand-ins.
    ///
    /// - Throws: `EngineError` when the engine cannot be asked.
    func namesOfStandIns() async throws -> [String]

    /// What ``removeUnneededContent(olderThan:)`` would remove now, removing nothing.
    ///
    /// - Returns: `nil` (the default) when the engine keeps no content of its own apart from its
    ///   images (a daemon collects its own); else the items, possibly none.
    /// - Throws: `EngineError` when the engine's storage cannot be read.
    func unneededContent(olderThan gracePeriod: TimeInterval) async throws -> [StoredContent]?

    /// Removes the content no named image needs, except what was written in the last `gracePeriod`
    /// seconds (a build under way may not have named it yet).
    ///
    /// - Returns: `nil` (the default) when the engine keeps no such content; else what was removed.
    /// - Throws: `EngineError` when the engine's storage cannot be read or changed.
    func removeUnneededContent(olderThan gracePeriod: TimeInterval) async throws -> ContentRemoval?
}
