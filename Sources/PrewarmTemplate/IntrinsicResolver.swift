import Foundation

/// Evaluates CloudFormation intrinsic functions in one stack, the way `sam local` does before
/// anything is deployed.
///
/// Supported: `Ref` (parameters, pseudo parameters, resources, `AWS::NoValue`), `Fn::Sub`,
/// `Fn::Join`, `Fn::If` (with `Conditions`), `Fn::FindInMap`, `Fn::Select`, `Fn::Split`,
/// `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`, `Fn::Base64` and `Fn::Length`.
/// Anything that only exists after deployment (`Fn::GetAtt`, `Fn::ImportValue`, `Fn::GetAZs`)
/// is an error that names its location and says to use a parameter.
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

    public var parameters: [String: ParameterValue]
    /// Parameters declared with no `Default` and given no value, with where they are declared.
    public var unsetParameters: [String: SourceLocation] = [:]
    /// Resource types by logical ID, so that `Ref` can tell a resource from a typo.
    public var resourceTypes: [String: String]
    public var mappings: TemplateMapping?
    private var conditions: [String: Result<Bool, TemplateError>] = [:]

    public init(
        parameters: [String: ParameterValue], resourceTypes: [String: String], mappings: TemplateMapping?,
        conditions: TemplateMapping?
    ) {
        self.parameters = parameters
        self.resourceTypes = resourceTypes
        self.mappings = mappings
        if let conditions {
            self.conditions = Self.evaluateConditions(conditions, using: self)
        }
    }

    /// The value of condition `name`.
    ///
    /// - Throws: `TemplateError` when the condition does not exist or cannot be evaluated.
    public func condition(_ name: String, at location: SourceLocation) throws -> Bool {
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
        guard let text = value.string else {
            throw TemplateError(.property, "\(what) must be a string, not \(value.shapeDescription)", at: node.location)
        }
        return text
    }

    static func isIntrinsic(_ key: String) -> Bool {
        key == "Ref" || key == "Condition" || key.hasPrefix("Fn::")
    }

    // MARK: - Functions

    private func evaluate(_ function: String, _ argument: TemplateNode, at location: SourceLocation) throws
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
            return .string(
                try parts.map { try text(of: $0, in: "Fn::Join", at: items[1].location) }.joined(separator: separator))
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
        case "Fn::ImportValue", "Fn::GetAZs", "Fn::Cidr", "Fn::Transform", "Fn::ToJsonString":
            throw TemplateError(
                .intrinsic, "\(function) cannot be evaluated before the stack is deployed", at: location,
                hint: "use a parameter with a default (or `parameterOverrides`) for this value")
        default:
            throw TemplateError(.intrinsic, "unknown intrinsic function \(function)", at: location)
        }
    }

    private func ref(_ argument: TemplateNode, at location: SourceLocation) throws -> ResolvedValue {
        let name = try literal(argument, of: "Ref")
        if name == "AWS::NoValue" { return .noValue }
        if let value = parameters[name] ?? Self.pseudoParameters[name] { return value.resolved }
        if resourceTypes[name] != nil { return .resource(name) }
        try requireSet(name, at: argument.location)
        throw TemplateError(
            .intrinsic, "Ref to '\(name)', which is neither a parameter nor a resource of this template",
            at: argument.location,
            hint: name.hasPrefix("AWS::")
                ? "known pseudo parameters: \(Self.pseudoParameters.keys.sorted().joined(separator: ", "))"
                : "declare it under Parameters, or fix the name")
    }

    private func requireSet(_ name: String, at location: SourceLocation) throws {
        guard let declared = unsetParameters[name] else { return }
        throw TemplateError(
            .parameter, "parameter '\(name)' (declared at line \(declared.line)) has no Default and no value",
            at: location, hint: "pass `parameterOverrides` \(name)=VALUE")
    }

    private func getAtt(_ argument: TemplateNode, at location: SourceLocation) throws -> ResolvedValue {
        let parts: [String]
        if let text = argument.scalar {
            parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        } else {
            parts = try arguments(argument, of: "Fn::GetAtt", count: 2).map { try string($0, of: "Fn::GetAtt") }
        }
        guard parts.count == 2 else {
            throw TemplateError(.intrinsic, "Fn::GetAtt needs [Resource, Attribute]", at: argument.location)
        }
        return try attribute(parts[0], parts[1], at: argument.location)
    }

    private func attribute(_ resource: String, _ name: String, at location: SourceLocation) throws -> ResolvedValue {
        guard let type = resourceTypes[resource] else {
            throw TemplateError(
                .intrinsic, "Fn::GetAtt \(resource).\(name): no resource \(resource) in this template", at: location)
        }
        throw TemplateError(
            .intrinsic, "Fn::GetAtt \(resource).\(name) (\(type)) is only known after deployment", at: location,
            hint: "use a parameter with a default (or `parameterOverrides`) for this value")
    }

    private func findInMap(_ argument: TemplateNode, at location: SourceLocation) throws -> ResolvedValue {
        guard let items = argument.sequence, items.count == 3 || items.count == 4 else {
            throw TemplateError(
                .intrinsic, "Fn::FindInMap needs [MapName, TopLevelKey, SecondLevelKey]", at: argument.location)
        }
        let keys = try items.prefix(3).map { try string($0, of: "Fn::FindInMap key") }
        var fallback: TemplateNode?
        if items.count == 4 {
            guard let defaultValue = items[3]["DefaultValue"] else {
                throw TemplateError(
                    .intrinsic, "Fn::FindInMap's fourth item must be {DefaultValue: …}", at: items[3].location)
            }
            fallback = defaultValue
        }
        guard let map = mappings?[keys[0]] else {
            if let fallback { return try resolve(fallback) }
            throw TemplateError(.intrinsic, "Fn::FindInMap: no mapping named '\(keys[0])' in Mappings", at: location)
        }
        guard let top = map[keys[1]] else {
            if let fallback { return try resolve(fallback) }
            throw TemplateError(
                .intrinsic, "Fn::FindInMap: mapping '\(keys[0])' has no key '\(keys[1])'", at: items[1].location,
                hint: "its keys: \(map.mapping?.keys.joined(separator: ", ") ?? "none")")
        }
        guard let value = top[keys[2]] else {
            if let fallback { return try resolve(fallback) }
            throw TemplateError(
                .intrinsic, "Fn::FindInMap: mapping '\(keys[0])'.'\(keys[1])' has no key '\(keys[2])'",
                at: items[2].location,
                hint: "its keys: \(top.mapping?.keys.joined(separator: ", ") ?? "none")")
        }
        return try resolve(value)
    }

    private func substitute(_ argument: TemplateNode) throws -> String {
        let template: TemplateNode
        var variables: [String: ResolvedValue] = [:]
        if argument.scalar != nil {
            template = argument
        } else {
            guard let items = argument.sequence, items.count == 2, let names = items[1].mapping else {
                throw TemplateError(
                    .intrinsic, "Fn::Sub needs a string or [String, {Name: Value, …}]", at: argument.location)
            }
            template = items[0]
            for entry in names.entries { variables[entry.key] = try resolve(entry.value) }
        }
        guard let text = template.scalar else {
            throw TemplateError(.intrinsic, "Fn::Sub needs a string to substitute into", at: template.location)
        }
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            output += rest[..<start.lowerBound]
            rest = rest[start.upperBound...]
            if rest.hasPrefix("!") {
                output += "${"
                rest = rest.dropFirst()
                continue
            }
            guard let end = rest.firstIndex(of: "}") else {
                throw TemplateError(
                    .intrinsic, "Fn::Sub: '${' without a closing '}' in '\(text)'", at: template.location)
            }
            let name = rest[..<end].trimmingCharacters(in: .whitespaces)
            rest = rest[rest.index(after: end)...]
            let value: ResolvedValue
            if let variable = variables[name] {
                value = variable
            } else if let parameter = parameters[name] ?? Self.pseudoParameters[name] {
                value = parameter.resolved
            } else if resourceTypes[name] != nil {
                value = .resource(name)
            } else if unsetParameters[name] != nil {
                try requireSet(name, at: template.location)
                value = .null
            } else if let dot = name.firstIndex(of: "."), resourceTypes[String(name[..<dot])] != nil {
                value = try attribute(
                    String(name[..<dot]), String(name[name.index(after: dot)...]), at: template.location)
            } else {
                throw TemplateError(
                    .intrinsic, "Fn::Sub: '${\(name)}' names no parameter, resource or variable",
                    at: template.location, hint: "declare it under Parameters, or write ${!\(name)} for a literal")
            }
            output += try self.text(of: value, in: "Fn::Sub ${\(name)}", at: template.location)
        }
        output += rest
        return output
    }

    // MARK: - Conditions

    private func truth(_ function: String, _ argument: TemplateNode, at location: SourceLocation) throws -> Bool {
        switch function {
        case "Fn::Equals":
            let items = try arguments(argument, of: function, count: 2)
            return try resolve(items[0]) == resolve(items[1])
        case "Fn::Not":
            let items = try arguments(argument, of: function, count: 1)
            return try !boolean(items[0])
        case "Fn::And", "Fn::Or":
            guard let items = argument.sequence, (2...10).contains(items.count) else {
                throw TemplateError(.intrinsic, "\(function) needs a list of 2 to 10 conditions", at: argument.location)
            }
            let values = try items.map(boolean)
            return function == "Fn::And" ? values.allSatisfy { $0 } : values.contains(true)
        default:
            throw TemplateError(.intrinsic, "\(function) is not a condition function", at: location)
        }
    }

    /// A condition expression: `Fn::Equals`/`Not`/`And`/`Or`, `{Condition: Name}`, or a literal true/false.
    private func boolean(_ node: TemplateNode) throws -> Bool {
        if let entry = node.mapping?.entries.first, node.mapping?.count == 1 {
            switch entry.key {
            case "Condition":
                return try condition(try literal(entry.value, of: "Condition"), at: entry.value.location)
            case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
                return try truth(entry.key, entry.value, at: entry.keyLocation)
            default:
                break
            }
        }
        switch try resolve(node).string?.lowercased() {
        case "true": return true
        case "false": return false
        default:
            throw TemplateError(
                .intrinsic, "a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition, true or false",
                at: node.location)
        }
    }

    private static func evaluateConditions(_ section: TemplateMapping, using base: IntrinsicResolver)
        -> [String: Result<Bool, TemplateError>]
    {
        // Conditions may refer to one another: evaluate in dependency order, rejecting cycles.
        var results: [String: Result<Bool, TemplateError>] = [:]
        var visiting: Set<String> = []

        func evaluate(_ name: String, _ location: SourceLocation) -> Result<Bool, TemplateError> {
            if let done = results[name] { return done }
            guard let entry = section.entry(name) else {
                return .failure(
                    TemplateError(.intrinsic, "no condition named '\(name)' in Conditions", at: location))
            }
            guard !visiting.contains(name) else {
                return .failure(
                    TemplateError(.intrinsic, "condition '\(name)' depends on itself", at: entry.keyLocation))
            }
            visiting.insert(name)
            var resolver = base
            for dependency in Self.conditionReferences(in: entry.value) where dependency != name {
                resolver.conditions[dependency] = evaluate(dependency, entry.keyLocation)
            }
            if Self.conditionReferences(in: entry.value).contains(name) {
                resolver.conditions[name] = .failure(
                    TemplateError(.intrinsic, "condition '\(name)' depends on itself", at: entry.keyLocation))
            }
            let result = Result { try resolver.boolean(entry.value) }.mapError { error in
                error as? TemplateError ?? TemplateError(.intrinsic, "\(error)", at: entry.keyLocation)
            }
            visiting.remove(name)
            results[name] = result
            return result
        }

        for entry in section.entries { _ = evaluate(entry.key, entry.keyLocation) }
        return results
    }

    /// Names used by `{Condition: Name}` and `Fn::If [Name, …]` inside a node.
    private static func conditionReferences(in node: TemplateNode) -> [String] {
        switch node.value {
        case .null, .scalar:
            return []
        case .sequence(let items):
            return items.flatMap(conditionReferences)
        case .mapping(let mapping):
            if mapping.count == 1, let entry = mapping.entries.first {
                if entry.key == "Condition", let name = entry.value.scalar { return [name] }
                if entry.key == "Fn::If", let name = entry.value.sequence?.first?.scalar {
                    return [name] + conditionReferences(in: entry.value)
                }
            }
            return mapping.entries.flatMap { conditionReferences(in: $0.value) }
        }
    }

    // MARK: - Argument helpers

    private func arguments(_ node: TemplateNode, of function: String, count: Int) throws -> [TemplateNode] {
        guard let items = node.sequence, items.count == count else {
            throw TemplateError(
                .intrinsic,
                "\(function) needs a list of \(count) item\(count == 1 ? "" : "s"), not \(node.shapeDescription)",
                at: node.location)
        }
        return items
    }

    /// A plain string written in the template (not computed), as `Ref` and `Condition` require.
    private func literal(_ node: TemplateNode, of function: String) throws -> String {
        guard let text = node.scalar else {
            throw TemplateError(
                .intrinsic, "\(function) needs a name written as a plain string, not \(node.shapeDescription)",
                at: node.location)
        }
        return text
    }

    private func string(_ node: TemplateNode, of function: String) throws -> String {
        let value = try resolve(node)
        return try text(of: value, in: function, at: node.location)
    }

    private func list(_ node: TemplateNode, of function: String) throws -> [ResolvedValue] {
        let value = try resolve(node)
        guard case .list(let items) = value else {
            throw TemplateError(
                .intrinsic, "\(function) needs a list, not \(value.shapeDescription)", at: node.location)
        }
        return items
    }

    private func text(of value: ResolvedValue, in function: String, at location: SourceLocation) throws -> String {
        switch value {
        case .string(let text):
            return text
        case .resource(let id):
            throw TemplateError(
                .intrinsic, "\(function): resource \(id) has no value before the stack is deployed", at: location,
                hint: "use a parameter with a default (or `parameterOverrides`) for this value")
        default:
            throw TemplateError(.intrinsic, "\(function) needs a string, not \(value.shapeDescription)", at: location)
        }
    }
}
