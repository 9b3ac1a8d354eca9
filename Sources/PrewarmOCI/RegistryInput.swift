import PrewarmSupport

/// What a caller of PrewarmOCI chose that its messages can tell the reader to change.
public enum RegistryInput: MessageInput, CaseIterable {
    /// The platform an image is pulled for.
    case platform

    /// Named as a build configures it (`architectures`).
    public var mention: String {
        switch self {
        case .platform: "`architectures`"
        }
    }
}
