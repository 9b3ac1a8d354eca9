/// The value of a template expression after its intrinsic functions were evaluated.
public indirect enum ResolvedValue: Sendable, Hashable {
    case string(String)
    case list([ResolvedValue])
    case mapping([String: ResolvedValue])
    /// `Ref` to a resource of the same template, by logical ID (a layer, say). Such a value
    /// is known only as a reference, never as text, until the stack is deployed.
    case resource(String)
    /// `Ref: AWS::NoValue`: the property or list item is removed.
    case noValue
    case null

    /// The text of a `.string`; `nil` for any other case.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// A word for the value's shape, for error messages.
    public var shapeDescription: String {
        switch self {
        case .string(let text): "the string '\(text)'"
        case .list: "a list"
        case .mapping: "a mapping"
        case .resource(let id): "a reference to resource \(id)"
        case .noValue: "AWS::NoValue"
        case .null: "null"
        }
    }
}

/// What a parameter evaluates to: `CommaDelimitedList` and `List<…>` parameters are lists.
public enum ParameterValue: Sendable, Hashable {
    case string(String)
    case list([String])

    var resolved: ResolvedValue {
        switch self {
        case .string(let text): .string(text)
        case .list(let items): .list(items.map(ResolvedValue.string))
        }
    }
}
