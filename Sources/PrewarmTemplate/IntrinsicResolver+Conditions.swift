import Foundation

// `Conditions`, `Fn::If` and the boolean functions, evaluated without recursion.
extension IntrinsicResolver {
    func truth(_ function: String, _ argument: TemplateNode, at location: SourceLocation) throws -> Bool {
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
    func boolean(_ node: TemplateNode) throws -> Bool {
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

    static func evaluateConditions(_ section: TemplateMapping, using base: IntrinsicResolver)
        -> [String: Result<Bool, TemplateError>]
    {
        // Conditions may refer to one another: evaluate in dependency order, rejecting cycles.
        // Depth first with a stack of our own, so that a chain of thousands of conditions
        // (C0: !Condition C1, C1: !Condition C2, …) cannot overflow the thread's stack.
        var results: [String: Result<Bool, TemplateError>] = [:]
        var dependencies: [String: [String]] = [:]
        var visiting: Set<String> = []

        func references(_ name: String) -> [String] {
            if let known = dependencies[name] { return known }
            let found = section.entry(name).map { Self.conditionReferences(in: $0.value) } ?? []
            dependencies[name] = found
            return found
        }

        for root in section.entries where results[root.key] == nil {
            var stack: [(name: String, next: Int)] = [(root.key, 0)]
            visiting.insert(root.key)
            while let (name, next) = stack.last {
                let needed = references(name)
                if next < needed.count {
                    stack[stack.count - 1].next += 1
                    let dependency = needed[next]
                    if dependency != name, results[dependency] == nil, !visiting.contains(dependency),
                        section.entry(dependency) != nil
                    {
                        visiting.insert(dependency)
                        stack.append((dependency, 0))
                    }
                    continue
                }
                stack.removeLast()
                guard let entry = section.entry(name) else { continue }
                var resolver = base
                for dependency in needed {
                    if dependency == name || visiting.contains(dependency) {
                        resolver.conditions[dependency] = .failure(
                            TemplateError(
                                .intrinsic, "condition '\(dependency)' depends on itself",
                                at: section.entry(dependency)?.keyLocation ?? entry.keyLocation))
                    } else if let result = results[dependency] {
                        resolver.conditions[dependency] = result
                    } else {
                        resolver.conditions[dependency] = .failure(
                            TemplateError(
                                .intrinsic, "no condition named '\(dependency)' in Conditions", at: entry.keyLocation))
                    }
                }
                visiting.remove(name)
                // `resolver` has its own conditions: the lenient view must not fall back to others.
                resolver.lenientConditions = nil
                results[name] = Result { try resolver.boolean(entry.value) }.mapError { error in
                    error as? TemplateError ?? TemplateError(.intrinsic, "\(error)", at: entry.keyLocation)
                }
            }
        }
        return results
    }

    /// Names used by `{Condition: Name}` and `Fn::If [Name, …]` inside a node.
    static func conditionReferences(in node: TemplateNode) -> [String] {
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
}
