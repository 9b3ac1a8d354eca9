import Foundation

/// Evaluates CloudFormation intrinsic functions in one stack, the way `sam local` does before
/// anything is deployed.
///
/// Supported: `Ref` (parameters, pseudo parameters, resources, `AWS::NoValue`), `Fn::Sub`,
/// `Fn::Join`, `Fn::If` (with `Conditions`), `Fn::FindInMap`, `Fn::Select`, `Fn::Split`,
/// `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`, `Fn::Base64` and `Fn::Length`
/// (and `Fn::ToJsonString` with `AWS::LanguageExtensions`).
/// Values that only exist after deployment (`Fn::GetAtt`, `Fn::ImportValue`, `Fn::GetAZs`)
/// evaluate to `ResolvedValue.deployTime`; using one where a string is needed is an error that
/// names its location and says to use a parameter.
///
/// A parameter with no value (`unsetParameters`) is an error when `requiresKnownValues` is set,
/// as it is for every property that decides an image; otherwise it evaluates to what SAM CLI
/// substitutes for it, its own name.
public struct IntrinsicResolver: Sendable {
    /// The pseudo parameters, with the values `sam local` uses (`AWS::URLSuffix` included:
    /// SAM CLI says `localhost`).
    public static let pseudoParameters: [String: ParameterValue] = [
        "AWS::Region": .string("us-east-1"),
        "AWS::AccountId": .string("123456789012"),
        "AWS::StackName": .string("local"),
        "AWS::Partition": .string("aws"),
        "AWS::URLSuffix": .string("localhost"),
        "AWS::StackId": .string(
            "arn:aws:cloudformation:us-east-1:123456789012:stack/local/51af3dc0-da77-11e4-872e-1234567db123"),
        "AWS::NotificationARNs": .list([]),
    ]

    /// The longest string `Fn::Sub` and `Fn::Join` may make: far beyond any real value, and a
    /// bound on what a template of a few megabytes can make its reader allocate.
    public static let maximumStringLength = 4 << 20

    public var parameters: [String: ParameterValue]
    /// Parameters with no value prewarm can use: no `Default` and no override, or given by the
    /// parent stack something known only after deployment.
    public private(set) var unsetParameters: [String: UnsetParameter]
    /// Resource types by logical ID, so that `Ref` can tell a resource from a typo.
    public var resourceTypes: [String: String]
    public var mappings: TemplateMapping?
    /// Whether a parameter in `unsetParameters` is an error (`true`, for what decides an image)
    /// or evaluates to its name, as in SAM CLI (`false`).
    public var requiresKnownValues = true
    /// Whether `Fn::ToJsonString` is evaluated (`AWS::LanguageExtensions` expanded locally).
    public var languageExtensions = false
    var conditions: [String: Result<Bool, TemplateError>] = [:]
    /// The conditions as SAM CLI evaluates them, with unset parameters replaced by their names;
    /// `nil` when there are no unset parameters, so that they are the same as `conditions`.
    var lenientConditions: [String: Result<Bool, TemplateError>]?

    public init(
        parameters: [String: ParameterValue], unsetParameters: [String: UnsetParameter] = [:],
        resourceTypes: [String: String], mappings: TemplateMapping?, conditions: TemplateMapping?,
        languageExtensions: Bool = false
    ) {
        self.parameters = parameters
        self.unsetParameters = unsetParameters
        self.resourceTypes = resourceTypes
        self.mappings = mappings
        self.languageExtensions = languageExtensions
        if let conditions {
            self.conditions = Self.evaluateConditions(conditions, using: self)
            if !unsetParameters.isEmpty {
                self.lenientConditions = Self.evaluateConditions(conditions, using: self.lenient)
            }
        }
    }

    /// This resolver with unset parameters evaluating to their names, as SAM CLI evaluates
    /// properties that do not decide an image.
    public var lenient: IntrinsicResolver {
        var copy = self
        copy.requiresKnownValues = false
        return copy
    }

    /// The value of condition `name`.
    ///
    /// - Throws: `TemplateError` when the condition does not exist or cannot be evaluated.
    public func condition(_ name: String, at location: SourceLocation) throws -> Bool {
        let conditions = requiresKnownValues ? self.conditions : lenientConditions ?? self.conditions
        guard let result = conditions[name] else {
            throw TemplateError(
                .intrinsic, "no condition named '\(name)' in Conditions", at: location,
                hint: conditions.isEmpty
                    ? "add it to the template's Conditions section"
                    : "known conditions: \(conditions.keys.sorted().joined(separator: ", "))")
        }
        return try result.get()
    }

    /// Evaluates every intrinsic function in `node`.
    ///
    /// Lists and mappings are evaluated item by item; `AWS::NoValue` items are dropped.
    /// - Throws: `TemplateError` naming the location of the first expression that fails.
    public func resolve(_ node: TemplateNode) throws -> ResolvedValue {
        switch node.value {
        case .null:
            return .null
        case .scalar(let text):
            return .string(text)
        case .sequence(let items):
            var values: [ResolvedValue] = []
            values.reserveCapacity(items.count)
            for item in items {
                let value = try resolve(item)
                if value != .noValue { values.append(value) }
            }
            return .list(values)
        case .mapping(let mapping):
            if mapping.count == 1, let entry = mapping.entries.first, Self.isIntrinsic(entry.key) {
                return try evaluate(entry.key, entry.value, at: entry.keyLocation)
            }
            var values: [String: ResolvedValue] = [:]
            for entry in mapping.entries {
                let value = try resolve(entry.value)
                if value != .noValue { values[entry.key] = value }
            }
            return .mapping(values)
        }
    }

    /// Evaluates `node` and requires a string (`Ref` to a string parameter, `Fn::Sub`, …).
    ///
    /// - Throws: `TemplateError` when the value is of another shape; `what` names the
    ///   property in the message.
    public func resolveString(_ node: TemplateNode, what: String) throws -> String {
        let value = try resolve(node)
        if case .string(let text) = value { return text }
        if case .deployTime = value { return try text(of: value, in: what, at: node.location) }
        throw TemplateError(.property, "\(what) must be a string, not \(value.shapeDescription)", at: node.location)
    }

    static func isIntrinsic(_ key: String) -> Bool {
        key == "Ref" || key == "Condition" || key.hasPrefix("Fn::")
    }

    // MARK: - Functions

    func evaluate(_ function: String, _ argument: TemplateNode, at location: SourceLocation) throws
        -> ResolvedValue
    {
        switch function {
        case "Ref":
            return try ref(argument, at: location)
        case "Condition":
            return .string(String(try condition(try literal(argument, of: function), at: argument.location)))
        case "Fn::If":
            let items = try arguments(argument, of: function, count: 3)
            let name = try literal(items[0], of: "Fn::If condition")
            return try resolve(try condition(name, at: items[0].location) ? items[1] : items[2])
        case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
            return .string(String(try truth(function, argument, at: location)))
        case "Fn::Sub":
            return .string(try substitute(argument))
        case "Fn::Join":
            let items = try arguments(argument, of: function, count: 2)
            let separator = try string(items[0], of: "Fn::Join separator")
            let parts = try list(items[1], of: "Fn::Join")
            var length = 0
            let texts = try parts.map { part in
                let text = try self.text(of: part, in: "Fn::Join", at: items[1].location)
                length += text.utf8.count + separator.utf8.count
                try Self.requireShortEnough(length, "Fn::Join", at: location)
                return text
            }
            return .string(texts.joined(separator: separator))
        case "Fn::Select":
            let items = try arguments(argument, of: function, count: 2)
            let indexText = try string(items[0], of: "Fn::Select index")
            let values = try list(items[1], of: "Fn::Select")
            guard let index = Int(indexText), values.indices.contains(index) else {
                throw TemplateError(
                    .intrinsic, "Fn::Select index \(indexText) is outside the list of \(values.count) items",
                    at: items[0].location)
            }
            return values[index]
        case "Fn::Split":
            let items = try arguments(argument, of: function, count: 2)
            let separator = try string(items[0], of: "Fn::Split separator")
            guard !separator.isEmpty else {
                throw TemplateError(.intrinsic, "Fn::Split separator is empty", at: items[0].location)
            }
            let source = try string(items[1], of: "Fn::Split source")
            return .list(source.components(separatedBy: separator).map(ResolvedValue.string))
        case "Fn::FindInMap":
            return try findInMap(argument, at: location)
        case "Fn::GetAtt":
            return try getAtt(argument, at: location)
        case "Fn::Base64":
            return .string(Data(try string(argument, of: function).utf8).base64EncodedString())
        case "Fn::Length":
            return .string(String(try list(argument, of: function).count))
        case "Fn::ImportValue", "Fn::GetAZs":
            return .deployTime(function)
        case "Fn::ToJsonString" where languageExtensions:
            return .string(try Self.json(try resolve(argument), at: location))
        case "Fn::Cidr", "Fn::Transform", "Fn::ToJsonString":
            throw TemplateError(
                .intrinsic, "\(function) cannot be evaluated before the stack is deployed", at: location,
                hint: "use a parameter with a default (or \(TemplateInput.parameterOverrides)) for this value")
        default:
            throw TemplateError(.intrinsic, "unknown intrinsic function \(function)", at: location)
        }
    }
}
