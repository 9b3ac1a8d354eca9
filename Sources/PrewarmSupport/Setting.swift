/// A setting of a build that a message can tell its reader to change: the parameter overrides, the
/// Docker host, the maximum layer size, and so on.
///
/// The libraries do not know how a program spells its settings (a command-line flag, a field of
/// `BuildConfiguration`, a key of a configuration file). A message that names one writes its `mention`,
/// the name of the `BuildConfiguration` property in backticks (“expands past the limit of 2000 bytes
/// (`maxLayerSize`)”), so that a program can find it and spell it its own way; errors that point at one
/// setting also carry it as data (`EngineError.setting`, …).
public struct Setting: Sendable, Hashable, CustomStringConvertible {
    private enum Value: String, Sendable, CaseIterable {
        case parameterOverrides, architectures, functions, invokeImages
        case engineDocker, dockerHost, ociStore, emulatorDirectory, maxLayerSize, skipPull, journalPath
        case languageExtensions, failFast, load, samConfigDirectory
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
    /// Where the SAM configuration for `sam local` is written (`forSAM`).
    public static let samConfigDirectory = Setting(.samConfigDirectory)

    /// Every setting, for a program that spells them all.
    public static let all: [Setting] = Value.allCases.map(Setting.init)

    /// How a message names the setting: the `BuildConfiguration` property (and value) in backticks.
    public var mention: String {
        switch value {
        case .engineDocker: "`engine: .docker`"
        case .skipPull: "`pull: false`"
        default: "`\(value.rawValue)`"
        }
    }

    /// A stable name, such as `maxLayerSize`.
    public var description: String { value.rawValue }
}
