import PrewarmArchive
import PrewarmImage
import PrewarmJournal
import PrewarmOCI
import PrewarmPlan
import PrewarmSupport
import PrewarmTemplate

/// A setting of a build that a message can tell its reader to change: the parameter overrides, the
/// Docker host, the maximum layer size, and so on.
///
/// The modules below PrewarmRun do not know the build's settings: their messages mention the inputs
/// they were given, as values of their own (`ArchiveInput`, `EngineInput`, … — a ``MessageInput``), and
/// ``init(_:)`` maps each of those to the setting that changes it. A program spells a setting its own way
/// (a command-line flag, a field of `BuildConfiguration`); unspelled, a message names one by its
/// ``mention``, the name of the `BuildConfiguration` property within its group, in backticks (“expands
/// past the limit of 2000 bytes (`maxLayerSize`)”, of `inputs`).
public struct Setting: MessageInput, Hashable {
    private enum Value: String, Sendable, CaseIterable {
        case parameterOverrides, architectures, functions, invokeImages
        case engineDocker, dockerHost, ociStore, emulatorDirectory, layerCacheDirectory, maxLayerSize, skipPull
        case journalPath
        case languageExtensions, failFast, load, forSAM, samConfigDirectory
    }
    private let value: Value
    private init(_ value: Value) { self.value = value }

    /// Values of the template's parameters.
    public static let parameterOverrides = Setting(.parameterOverrides)
    /// The architectures every function is built for.
    public static let architectures = Setting(.architectures)
    /// The functions to build, when not all.
    public static let functions = Setting(.functions)
    /// Base images chosen instead of the runtime's.
    public static let invokeImages = Setting(.invokeImages)
    /// Building with a Docker engine rather than the OCI store.
    public static let engineDocker = Setting(.engineDocker)
    /// Where the Docker engine is.
    public static let dockerHost = Setting(.dockerHost)
    /// Where the OCI store is.
    public static let ociStore = Setting(.ociStore)
    /// Where the Lambda runtime interface emulator is.
    public static let emulatorDirectory = Setting(.emulatorDirectory)
    /// Where layers by ARN are kept.
    public static let layerCacheDirectory = Setting(.layerCacheDirectory)
    /// The most a layer may take once extracted.
    public static let maxLayerSize = Setting(.maxLayerSize)
    /// Base images are never pulled.
    public static let skipPull = Setting(.skipPull)
    /// Where the journal is.
    public static let journalPath = Setting(.journalPath)
    /// `AWS::LanguageExtensions` (`Fn::ForEach`, …) are expanded.
    public static let languageExtensions = Setting(.languageExtensions)
    /// The first failure stops the run.
    public static let failFast = Setting(.failFast)
    /// After an OCI store build, the images are loaded into the Docker engine.
    public static let load = Setting(.load)
    /// The SAM configuration for `sam local` is written, and the build made for it (`sam.enabled`).
    public static let forSAM = Setting(.forSAM)
    /// Where the SAM configuration for `sam local` is written (with `forSAM`).
    public static let samConfigDirectory = Setting(.samConfigDirectory)

    /// Every setting, for a program that spells them all.
    public static let all: [Setting] = Value.allCases.map(Setting.init)

    /// How a message names the setting: the `BuildConfiguration` property (and value) within its group, in
    /// backticks.
    public var mention: String {
        switch value {
        case .engineDocker: "`engine: .docker`"
        case .skipPull: "`pull: false`"
        case .forSAM: "`sam.enabled`"
        default: "`\(value.rawValue)`"
        }
    }

    /// A stable name, such as `maxLayerSize`.
    public var description: String { value.rawValue }
}

extension Setting {
    /// The setting that changes `input`, an input that a module's message mentions; `nil` for an input
    /// no setting of a build changes.
    ///
    /// Every module's inputs are matched exhaustively, so that a new input, or a renamed setting, does not
    /// compile until it is mapped here.
    public init?(_ input: any MessageInput) {
        switch input {
        case let setting as Setting: self = setting
        case let input as ArchiveInput:
            switch input {
            case .maxExpandedSize: self = .maxLayerSize
            }
        case let input as RegistryInput:
            switch input {
            case .platform: self = .architectures
            }
        case let input as EngineInput:
            switch input {
            case .dockerHost: self = .dockerHost
            case .storePath: self = .ociStore
            case .emulatorDirectory: self = .emulatorDirectory
            case .dockerEngine: self = .engineDocker
            case .noPull: self = .skipPull
            }
        case let input as TemplateInput:
            switch input {
            case .parameterOverrides: self = .parameterOverrides
            case .languageExtensions: self = .languageExtensions
            }
        case let input as PlanInput:
            switch input {
            case .functions: self = .functions
            case .architectures: self = .architectures
            case .invokeImages: self = .invokeImages
            }
        case let input as JournalInput:
            switch input {
            case .path: self = .journalPath
            }
        default: return nil
        }
    }

    /// The first setting that `message` mentions, when it mentions one.
    public init?(mentionedIn message: Message) {
        guard let setting = message.inputs.lazy.compactMap(Setting.init).first else { return nil }
        self = setting
    }
}

extension Setting {
    /// `input` spelled as `spell` spells the setting that changes it; its mention when no setting does.
    package static func spelling(_ input: any MessageInput, as spell: (Setting) -> String) -> String {
        Setting(input).map(spell) ?? input.mention
    }
}

extension Message {
    /// The message with each input it mentions spelled as `spell` spells the setting that changes it (a
    /// flag, for the command line); an input that no setting changes keeps its mention.
    public func rendered(settings spell: (Setting) -> String) -> String {
        // Not a trailing closure: one would also match this function's own `settings:`.
        rendered({ Setting.spelling($0, as: spell) })
    }
}
