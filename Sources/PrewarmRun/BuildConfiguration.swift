import Foundation
import PrewarmPlan
import PrewarmSAMConfig
import PrewarmTemplate

/// prewarm's version, recorded in the journal and on every image.
public enum PrewarmVersion {
    public static let current = "0.1.0"
}

/// Everything a `BuildSession` needs to know, as a plain value: what to build (the template and how to
/// plan it), where (the engine, the OCI store, registries), with what (the emulator, the layer cache), how
/// (concurrency, retries, pulls) and where to record it (the journal).
///
/// Every property has the default `prewarm build` has; only the template is required. A property left
/// `nil` is looked up as the command line does (see each property).
public struct BuildConfiguration: Sendable {
    /// Which engine builds the images (``EngineSelection/Engine``).
    public typealias Engine = EngineSelection.Engine

    /// The template, and how it is read.
    public struct Template: Sendable {
        /// The SAM or CloudFormation template; `nil`: found as SAM's local commands find it (see
        /// `TemplateLoader.locate`).
        public var path: String?
        /// Values of the template's parameters.
        public var parameterOverrides = ParameterOverrides()
        /// Expand `AWS::LanguageExtensions` (`Fn::ForEach`, …), as SAM CLI does when it is enabled.
        public var languageExtensions = false
        /// How far the template reader may go (nested stacks, functions, depth) before it stops with an error.
        public var limits = TemplateLimits()

        /// The template at `path`, read with no parameter and the default limits.
        public init(path: String? = nil) {
            self.path = path
        }
    }

    /// Which images are built, and how.
    public struct Images: Sendable {
        /// Build every function for these architectures instead of the template's; `nil`: the template's.
        public var architectures: [Architecture]?
        /// Build only these functions (`Child/Function` or a logical ID); empty: all.
        public var functions: [String] = []
        /// Base images chosen instead of the runtime's, for one function or all.
        public var invokeImages: [InvokeImage] = []
        /// Build only this part of the images (``Shard``: every N-th image node, the same split on every
        /// machine), with the layers and bases they need; `nil` builds them all.
        public var shard: Shard?
        /// Pull base images from their registry; `false`: use the engine's copies only.
        public var pull = true
        /// Build every image again, even when it is up to date.
        public var force = false

        /// Every image of the template, for its own architectures, pulling base images.
        public init() {}
    }

    /// What goes into the images besides the base: the emulator and the layers.
    public struct Inputs: Sendable {
        /// A directory holding `aws-lambda-rie-x86_64` / `aws-lambda-rie-arm64`; `nil`: the template's
        /// `Metadata.Prewarm.EmulatorDirectory`, else `$PREWARM_RIE_DIR`, else the copy of the SAM CLI on `PATH`.
        public var emulatorDirectory: String?
        /// Where layers by ARN are kept (shared with SAM CLI); `nil`: `$SAM_LAYER_CACHE_BASEDIR`, else
        /// `~/.aws-sam/layers-pkg`.
        public var layerCacheDirectory: String?
        /// The most bytes a layer may take once extracted (the zip-bomb guard).
        public var maxLayerSize: Int64 = 1 << 30

        /// The emulator and layer cache looked up as the command line does, layers of at most 1 GiB.
        public init() {}
    }

    /// How much runs at once, and what a failure does.
    public struct Limits: Sendable {
        /// Image builds at once.
        public var jobs = ProcessInfo.processInfo.activeProcessorCount
        /// Layer downloads and base-image pulls at once.
        public var downloadJobs = 8
        /// Retries of a transient failure, with backoff.
        public var retries = 2
        /// Stop at the first failure instead of building everything that does not depend on it.
        public var failFast = false

        /// As many image builds as cores, 8 downloads, 2 retries, keep going after a failure.
        public init() {}
    }

    /// `--for-sam`: what the build hands `sam local`.
    public struct SAM: Sendable {
        /// Before planning, write the SAM-ready configuration (`SAMReadyConfiguration`) and plan its derived
        /// template, so that `sam local … --config-file` builds nothing, template layers included.
        public var enabled = false
        /// Where `enabled` writes the SAM configuration; `nil`: `.prewarm/sam` in the template's project directory.
        public var configDirectory: String?
        /// The user's own SAM configuration parameters (`local_invoke` over `global`), carried into the one
        /// written; empty without a `samconfig.toml`.
        public var parameters: [String: SAMConfigValue] = [:]
        /// The user's `skip_pull_image`, carried into the one written when `images.pull` does not decide it.
        public var skipPullImage: Bool?

        /// No SAM configuration written.
        public init() {}
    }

    /// Whether the build continues an unfinished run.
    public struct Resume: Sendable {
        /// Continue the latest unfinished run of this template (what it verified is kept), with the options it
        /// was recorded with (architectures, functions, jobs, download jobs, pulls, force) but for those in
        /// `overrides`; `BuildReport.resumption` says which it took.
        public var enabled = false
        /// With `enabled`: the options given again, whose values here win over those the resumed run recorded;
        /// empty: every recorded option is taken.
        public var overrides: Set<BuildSession.ResumedOption> = []

        /// A new run, not a resumed one.
        public init() {}
    }

    /// The template, and how it is read.
    public var template: Template
    /// Which images are built (architectures, functions, shard), and whether to pull and force.
    public var images = Images()
    /// The emulator, the layer cache and the layer size limit.
    public var inputs = Inputs()
    /// Concurrency, retries, fail-fast.
    public var limits = Limits()
    /// `--for-sam`'s settings.
    public var sam = SAM()
    /// Whether and how the build continues an unfinished run.
    public var resume = Resume()

    /// Which engine builds the images, and where it is: a Docker engine (`dockerHost`), the OCI store
    /// (`ociStore`), either (`auto`, the default), or an engine the program made itself.
    public var engineSelection = EngineSelection()
    /// Registries to pull base images through, as `FROM=TO` (`public.ecr.aws=127.0.0.1:5000`). OCI store only.
    public var registryMirrors: [String] = []
    /// A registry repository used as a build cache: an image whose build key is there is fetched, not built.
    public var cacheFrom: String?
    /// A registry repository where every image is kept under its build key.
    public var cacheTo: String?
    /// A registry repository to push every image to, as `<function>-<arch>` (and an index `<function>`).
    public var push: String?
    /// After an OCI store build, load the images into the Docker engine (`dockerHost`).
    public var load = false

    /// The SQLite journal; `nil`: `.prewarm/journal.sqlite` next to the template.
    public var journalPath: String?

    /// The environment that AWS credentials, `DOCKER_HOST`, `HOME` and the other variables are read from.
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    /// The version recorded in the journal and on every image.
    public var prewarmVersion = PrewarmVersion.current
    /// How the journal's records spell a setting that a node's failure mentions, as the program says it
    /// (`prewarm status` shows the records later): a command line gives its flags. By default, the
    /// setting's `Setting.mention`.
    public var spellSetting: @Sendable (Setting) -> String = { $0.mention }

    /// The configuration of `prewarm build TEMPLATE` with no other flag.
    public init(templatePath: String? = nil) {
        template = Template(path: templatePath)
    }

    /// Whether a setting that only the OCI store serves is given (`cacheFrom` serves the Docker engine too).
    public var needsOCIStore: Bool {
        push != nil || cacheTo != nil || load || !registryMirrors.isEmpty
    }

    /// The engine asked for, once the other settings are considered: with `auto`, `oci` for settings only it
    /// serves, `docker` when `dockerHost` is given; else `auto` (decided by whether a Docker engine answers).
    public var effectiveEngine: Engine {
        engineSelection.effectiveEngine(needsOCIStore: needsOCIStore)
    }

    /// `ociStore`, else `$XDG_CACHE_HOME/prewarm/oci`, else `~/.cache/prewarm/oci`.
    public var resolvedOCIStore: String {
        engineSelection.ociStorePath(environment: environment)
    }

    /// `inputs.layerCacheDirectory`, else `$SAM_LAYER_CACHE_BASEDIR`, else `~/.aws-sam/layers-pkg`.
    public var resolvedLayerCacheDirectory: String {
        if let layerCacheDirectory = inputs.layerCacheDirectory {
            return Self.expandingTilde(layerCacheDirectory, environment: environment)
        }
        if let fromSAM = environment["SAM_LAYER_CACHE_BASEDIR"], !fromSAM.isEmpty {
            return Self.expandingTilde(fromSAM, environment: environment)
        }
        return Self.home(environment) + "/.aws-sam/layers-pkg"
    }

    /// The OCI store's directory: `path` (with `~` expanded), else `$XDG_CACHE_HOME/prewarm/oci`, else
    /// `~/.cache/prewarm/oci`.
    public static func ociStorePath(_ path: String?, environment: [String: String]) -> String {
        if let path { return expandingTilde(path, environment: environment) }
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") { return cache + "/prewarm/oci" }
        return home(environment) + "/.cache/prewarm/oci"
    }

    /// The journal of the template at `template`: `path`, else `.prewarm/journal.sqlite` next to it.
    public static func journalPath(_ path: String?, forTemplate template: String) -> String {
        if let path { return path }
        // A built template's project directory, which the next `sam build` leaves alone.
        return URL(fileURLWithPath: TemplateLocation.projectDirectory(of: template))
            .appendingPathComponent(".prewarm/journal.sqlite").path
    }

    /// `$HOME`, else the user's home directory.
    package static func home(_ environment: [String: String]) -> String {
        environment["HOME"] ?? NSHomeDirectory()
    }

    /// `path` with a leading `~` replaced by `$HOME`.
    package static func expandingTilde(_ path: String, environment: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        return home(environment) + path.dropFirst()
    }
}
