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

    public init(id: String, names: [String], labels: [String: String], architecture: String) {
        self.id = id
        self.names = names
        self.labels = labels
        self.architecture = architecture
    }
}

/// What to build: an archive written by `BuildContext` (in the form the engine asked for with
/// `ImageEngine.buildForm`), or, for `.separateLayers`, the emulator and layer directories
/// themselves; and what to call the result.
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
    /// The base image the new layer goes on.
    public var baseImage: String
    /// The archive: a build context, or the bare layer.
    public var contextPath: String
    /// `linux/amd64` or `linux/arm64`.
    public var platform: String
    /// Labels set on the image (prewarm's content key and version).
    public var labels: [String: String]
    /// Whether the engine may pull the base image (`--skip-pull-image` turns it off).
    public var pull: Bool
    /// The emulator binary (goes to `/var/rapid/aws-lambda-rie`), for `.separateLayers` engines.
    public var emulator: Source?
    /// The function's layer directories (each goes under `/opt`) in the order applied, for
    /// `.separateLayers` engines.
    public var layers: [Source]

    public init(
        name: String, baseImage: String, contextPath: String, platform: String, labels: [String: String], pull: Bool,
        emulator: Source? = nil, layers: [Source] = []
    ) {
        self.name = name
        self.baseImage = baseImage
        self.contextPath = contextPath
        self.platform = platform
        self.labels = labels
        self.pull = pull
        self.emulator = emulator
        self.layers = layers
    }
}

/// A place where images are built and kept: a Docker-compatible engine (Docker, Podman,
/// Colima, Finch), or prewarm's own OCI store.
public protocol ImageEngine: Sendable {
    /// Says which engine this is and where, for the first line of a run:
    /// `docker at unix:///var/run/docker.sock (Engine API 1.47)`.
    var description: String { get }

    /// The image named `name`.
    ///
    /// - Returns: `nil` when the engine has no image of that name.
    /// - Throws: `ImageError` when the engine cannot be asked.
    func image(named name: String) async throws -> EngineImage?

    /// The archive `build` wants: a Dockerfile context, or the bare layer it adds to the base.
    var buildForm: BuildContext.Form { get }

    /// Makes the base image `reference` available for `platform`.
    ///
    /// With `pull`, fetches it from its registry (which refreshes a local copy); without, only
    /// looks for a local copy.
    /// - Returns: the base image.
    /// - Throws: `ImageError` with code `.missingBase` when it is absent and may not be pulled,
    ///   or when the pull fails.
    func prepareBase(_ reference: String, platform: String, pull: Bool) async throws -> EngineImage

    /// Builds `request` and names the result `request.name`.
    ///
    /// - Parameter output: receives the engine's build output, line by line.
    /// - Returns: the built image.
    /// - Throws: `ImageError` with code `.buildFailed` carrying the engine's message when the
    ///   build fails (even when the engine answered 200 and reported the error in its stream).
    func build(_ request: ImageBuildRequest, output: @escaping @Sendable (String) -> Void) async throws -> EngineImage

    /// Removes the image name `name` (the image itself goes when no other name holds it).
    /// Does nothing when there is no such image.
    func remove(_ name: String) async throws

    /// The names of every image whose repository is `repository`.
    func names(inRepository repository: String) async throws -> [String]
}
