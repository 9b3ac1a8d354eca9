import PrewarmSupport

/// What a caller of PrewarmPlan chose that its messages can tell the reader to change.
public enum PlanInput: MessageInput, CaseIterable {
    /// The functions to plan, when not all.
    case functions
    /// The architectures every function is planned for.
    case architectures
    /// Base images chosen instead of the runtime's.
    case invokeImages

    /// Named as a build configures it (`functions`, `architectures`, `invokeImages`).
    public var mention: String {
        switch self {
        case .functions: "`functions`"
        case .architectures: "`architectures`"
        case .invokeImages: "`invokeImages`"
        }
    }
}
