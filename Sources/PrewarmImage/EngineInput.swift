import PrewarmSupport

/// What a caller of PrewarmImage chose that its messages can tell the reader to change.
public enum EngineInput: MessageInput, CaseIterable {
    /// The Docker engine pointed at (``EngineDiscovery``'s `option`).
    case dockerHost
    /// The directory of the OCI store.
    case storePath
    /// The directory the Lambda runtime interface emulator is looked for in (``EmulatorLocator``).
    case emulatorDirectory
    /// Building with a Docker engine rather than the OCI store.
    case dockerEngine
    /// Base images are never pulled (`pull: false` in `prepareBase`).
    case noPull

    /// Named as a build configures it (`dockerHost`, `ociStore`, `engine: .docker`).
    public var mention: String {
        switch self {
        case .dockerHost: "`dockerHost`"
        case .storePath: "`ociStore`"
        case .emulatorDirectory: "`emulatorDirectory`"
        case .dockerEngine: "`engine: .docker`"
        case .noPull: "`pull: false`"
        }
    }
}
