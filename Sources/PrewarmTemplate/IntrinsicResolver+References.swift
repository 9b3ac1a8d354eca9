import Foundation

// `Ref`, `Fn::GetAtt` and `Fn::FindInMap`: parameters, pseudo parameters, resources and mappings.
extension IntrinsicResolver {
    func ref(_ argument: TemplateNode, at location: SourceLocation) throws -> ResolvedValue {
        let name = try literal(argument, of: "Ref")
        if name == "AWS::NoValue" { return .noValue }
        if let value = parameters[name] ?? Self.pseudoParameters[name] { return value.resolved }
        if resourceTypes[name] != nil { return .resource(name) }
        if let unset = unsetParameters[name] { return try value(of: unset, named: name, at: argument.location) }
        throw TemplateError(
            .intrinsic, "Ref to '\(name)', which is neither a parameter nor a resource of this template",
            at: argument.location,
            hint: name.hasPrefix("AWS::")
                ? "known pseudo parameters: \(Self.pseudoParameters.keys.sorted().joined(separator: ", "))"
                : "declare it under Parameters, or fix the name")
    }

    /// What an unset parameter evaluates to: an error when values are required, else its name.
    func value(of unset: UnsetParameter, named name: String, at location: SourceLocation) throws
        -> ResolvedValue
    {
        guard requiresKnownValues else { return .string(unset.substitute) }
        var error = TemplateError(.parameter, unset.problem, at: location, hint: unset.hint)
        error.parameterOverride = unset.override
        throw error
    }

    func getAtt(_ argument: TemplateNode, at location: SourceLocation) throws -> ResolvedValue {
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

    func attribute(_ resource: String, _ name: String, at location: SourceLocation) throws -> ResolvedValue {
        guard let type = resourceTypes[resource] else {
            throw TemplateError(
                .intrinsic, "Fn::GetAtt \(resource).\(name): no resource \(resource) in this template", at: location)
        }
        guard name != "Arn" else {
            // SAM CLI makes up a Lambda function ARN for any resource's Arn: never the right value.
            throw TemplateError(
                .intrinsic, "Fn::GetAtt \(resource).\(name) (\(type)) is only known after deployment", at: location,
                hint: "use a parameter with a default (or \(TemplateInput.parameterOverrides)) for this value")
        }
        return .deployTime("Fn::GetAtt \(resource).\(name) (\(type))")
    }

    func findInMap(_ argument: TemplateNode, at location: SourceLocation) throws -> ResolvedValue {
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
}
