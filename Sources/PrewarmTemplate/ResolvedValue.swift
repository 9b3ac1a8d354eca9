import PrewarmSupport

/// The value of a template expression after its intrinsic functions were evaluated.
public indirect enum ResolvedValue: Sendable, Hashable {
    case string(String)
    case list([ResolvedValue])
    case mapping([String: ResolvedValue])
    /// `Ref` to a resource of the same template, by logical ID (a layer, say). Such a value
    /// is known only as a reference, never as text, until the stack is deployed.
    case resource(String)
    /// A value known only once the stack is deployed (`Fn::GetAtt`, `Fn::ImportValue`), with
    /// what it is: `Fn::GetAtt Child.Outputs.LayerArn (AWS::Serverless::Application)`.
    case deployTime(String)
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
        case .deployTime(let what): "\(what), known only after deployment"
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

/// A parameter with no value prewarm can use, and what SAM CLI uses in its place.
///
/// SAM CLI evaluates a parameter with no `Default` and no override to its own name (and a
/// nested stack's parameter to whatever text its parent passes). That is harmless in a
/// `Description`, and wrong in a `Runtime` or an `ImageUri`: prewarm substitutes the name only
/// where the value does not decide an image, and is an error naming the parameter elsewhere.
public struct UnsetParameter: Sendable, Hashable {
    /// What SAM CLI evaluates the parameter to.
    public var substitute: String
    /// Why it has no value: "parameter 'Stage' (declared at line 3) has no Default and no value".
    public var problem: Message
    /// What to do about it, e.g. "pass `parameterOverrides` Stage=VALUE".
    public var hint: Message?
    /// The `Key=VALUE` to pass with the parameter overrides, when that is what to do: the hint then says so.
    public var override: String?

    public init(substitute: String, problem: Message, hint: Message?) {
        self.substitute = substitute
        self.problem = problem
        self.hint = hint
    }

    /// A parameter named `name` with no value: the hint is to pass one with the parameter overrides.
    public init(substitute: String, problem: Message, overriding name: String) {
        let override = "\(name)=VALUE"
        self.init(
            substitute: substitute, problem: problem, hint: "pass \(TemplateInput.parameterOverrides) \(override)")
        self.override = override
    }
}
