/// `AWS::LanguageExtensions`, expanded before anything else is read, as SAM CLI 1.170 does
/// when `--language-extensions` (or `SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS`) enables it.
///
/// Only templates whose `Transform` names `AWS::LanguageExtensions` are changed. Each
/// `Fn::ForEach::Name: [Identifier, Collection, {KeyTemplate: Body}]` in `Conditions`,
/// `Resources` (and a resource's `Properties`) and `Outputs` becomes one entry per item of the
/// collection, with `${Identifier}`, `&{Identifier}` (the item without its non-alphanumeric
/// characters) and `{Ref: Identifier}` replaced by the item, in keys and values; loops nest up
/// to 5 deep. The collection is a list, or a `Ref` to a list parameter (its value or default).
/// `Fn::ToJsonString` is evaluated by `IntrinsicResolver`; `Fn::Length` and `Fn::FindInMap`'s
/// `DefaultValue` are evaluated either way.
enum LanguageExtensions {
    static let transform = "AWS::LanguageExtensions"
    static let loopPrefix = "Fn::ForEach::"
    /// CloudFormation's limit, which SAM CLI checks too.
    static let maximumLoopDepth = 5
    /// The most values loops may write into one template, so that a collection of a million
    /// items or loops inside loops stop with an error instead of filling memory.
    static let maximumExpandedValues = 500_000

    /// The template with its `Fn::ForEach` loops expanded; `root` itself when it does not use
    /// the transform.
    ///
    /// - Throws: `TemplateError` for a malformed loop, a collection that is not a list, or two
    ///   entries with one key.
    static func expand(_ root: TemplateNode, given: [String: TemplateLoader.GivenParameter]) throws -> TemplateNode {
        guard let top = root.mapping, usesTransform(top["Transform"]) else { return root }
        let expander = Expander(parameters: top["Parameters"]?.mapping, given: given, written: Counter())
        var entries = top.entries
        for index in entries.indices {
            let entry = entries[index]
            switch entry.key {
            case "Conditions", "Outputs":
                entries[index].value = try expander.section(entry.value, identifiers: [])
            case "Resources":
                entries[index].value = try expander.resources(entry.value)
            default:
                break
            }
        }
        return TemplateNode(.mapping(TemplateMapping(entries)), at: root.location)
    }

    static func usesTransform(_ node: TemplateNode?) -> Bool {
        guard let node else { return false }
        if let name = node.scalar { return name == transform }
        return node.sequence?.contains { $0.scalar == transform } ?? false
    }

    /// How many values loops have written so far.
    private final class Counter {
        var count = 0
    }

    private struct Expander {
        let parameters: TemplateMapping?
        let given: [String: TemplateLoader.GivenParameter]
        let written: Counter

        /// `Resources`: loops make resources; every resource's `Properties` may hold loops too.
        func resources(_ node: TemplateNode) throws -> TemplateNode {
            guard let mapping = node.mapping else { return node }
            var output = OrderedEntries()
            for entry in mapping.entries {
                if entry.key.hasPrefix(loopPrefix) {
                    for resource in try loop(entry, identifiers: [], depth: 1) {
                        try output.add(withExpandedProperties(resource), from: entry)
                    }
                } else {
                    try output.add(withExpandedProperties(entry), from: nil)
                }
            }
            return TemplateNode(.mapping(TemplateMapping(output.entries)), at: node.location)
        }

        private func withExpandedProperties(_ entry: TemplateMapping.Entry) throws -> TemplateMapping.Entry {
            guard let resource = entry.value.mapping, let properties = resource.entry("Properties") else {
                return entry
            }
            var entries = resource.entries
            if let index = entries.firstIndex(where: { $0.key == "Properties" }) {
                entries[index].value = try section(properties.value, identifiers: [])
            }
            var expanded = entry
            expanded.value = TemplateNode(.mapping(TemplateMapping(entries)), at: entry.value.location)
            return expanded
        }

        /// A mapping whose `Fn::ForEach::` keys are replaced by what they expand to.
        func section(_ node: TemplateNode, identifiers: [String], depth: Int = 0) throws -> TemplateNode {
            guard let mapping = node.mapping, mapping.entries.contains(where: { $0.key.hasPrefix(loopPrefix) }) else {
                return node
            }
            var output = OrderedEntries()
            for entry in mapping.entries {
                if entry.key.hasPrefix(loopPrefix) {
                    for item in try loop(entry, identifiers: identifiers, depth: depth + 1) {
                        try output.add(item, from: entry)
                    }
                } else {
                    try output.add(entry, from: nil)
                }
            }
            return TemplateNode(.mapping(TemplateMapping(output.entries)), at: node.location)
        }

        /// The entries one loop expands to, its nested loops expanded too.
        private func loop(_ entry: TemplateMapping.Entry, identifiers: [String], depth: Int) throws
            -> [TemplateMapping.Entry]
        {
            guard depth <= maximumLoopDepth else {
                throw TemplateError(
                    .structure, "\(entry.key): Fn::ForEach loops nest more than \(maximumLoopDepth) deep",
                    at: entry.keyLocation, hint: "CloudFormation allows \(maximumLoopDepth) levels")
            }
            guard let items = entry.value.sequence, items.count == 3, let identifier = items[0].scalar,
                !identifier.isEmpty, items[2].mapping != nil
            else {
                throw TemplateError(
                    .structure, "\(entry.key) must be [Identifier, Collection, {OutputKey: OutputValue}]",
                    at: entry.value.location)
            }
            if parameters?[identifier] != nil || identifiers.contains(identifier) {
                throw TemplateError(
                    .structure,
                    """
                    \(entry.key): identifier '\(identifier)' is also the name of a \
                    \(identifiers.contains(identifier) ? "loop identifier around it" : "parameter")
                    """,
                    at: items[0].location, hint: "rename the identifier")
            }
            let name = String(entry.key.dropFirst(loopPrefix.count))
            if parameters?[name] != nil {
                throw TemplateError(
                    .structure, "\(entry.key): loop name '\(name)' is also the name of a parameter",
                    at: entry.keyLocation)
            }
            var output = OrderedEntries()
            for value in try collection(items[1], of: entry.key) {
                let expanded = substitute(items[2], identifier, value)
                guard written.count <= maximumExpandedValues else {
                    throw TemplateError(
                        .structure, "\(entry.key): loops write more than \(maximumExpandedValues) values",
                        at: entry.keyLocation, hint: "loop over fewer items, or split the template")
                }
                let section = try self.section(expanded, identifiers: identifiers + [identifier], depth: depth)
                for item in section.mapping?.entries ?? [] {
                    try output.add(item, from: entry)
                }
            }
            return output.entries
        }

        private func collection(_ node: TemplateNode, of loop: String) throws -> [String] {
            if let items = node.sequence {
                return try items.compactMap { item in
                    if item.isNull { return nil }
                    guard let text = item.scalar else {
                        throw TemplateError(
                            .structure, "\(loop): a collection item must be a string, not \(item.shapeDescription)",
                            at: item.location)
                    }
                    return text
                }
            }
            if let name = node["Ref"]?.scalar, node.mapping?.count == 1 {
                let text: String?
                if case .value(let value) = given[name], !value.isEmpty {
                    text = value
                } else if let defaultNode = parameters?[name]?["Default"] {
                    if let items = defaultNode.sequence { return items.compactMap(\.scalar) }
                    text = defaultNode.scalar
                } else {
                    text = nil
                }
                guard let text else {
                    throw TemplateError(
                        .parameter, "\(loop): the collection is parameter '\(name)', which has no value",
                        at: node.location, hint: "pass \(TemplateInput.parameterOverrides) \(name)=A,B,C")
                }
                return text.split(separator: ",", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
            }
            throw TemplateError(
                .structure, "\(loop): the collection must be a list or a Ref to a list parameter",
                at: node.location, hint: "values known only after deployment cannot be looped over locally")
        }

        /// `node` with the loop's identifier replaced by `value`.
        private func substitute(_ node: TemplateNode, _ identifier: String, _ value: String) -> TemplateNode {
            let plain = "${\(identifier)}"
            let alphanumeric = "&{\(identifier)}"
            var stripped = String.UnicodeScalarView()
            stripped.append(
                contentsOf: value.unicodeScalars.filter {
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                })
            func text(_ text: String) -> String {
                guard text.contains("{\(identifier)}") else { return text }
                return text.replacingOccurrences(of: plain, with: value).replacingOccurrences(
                    of: alphanumeric, with: String(stripped))
            }
            func walk(_ node: TemplateNode) -> TemplateNode {
                written.count += 1
                switch node.value {
                case .null:
                    return node
                case .scalar(let scalar):
                    return TemplateNode(.scalar(text(scalar)), at: node.location)
                case .sequence(let items):
                    return TemplateNode(.sequence(items.map(walk)), at: node.location)
                case .mapping(let mapping):
                    if mapping.count == 1, node["Ref"]?.scalar == identifier {
                        return TemplateNode(.scalar(value), at: node.location)
                    }
                    let entries = mapping.entries.map {
                        TemplateMapping.Entry(key: text($0.key), keyLocation: $0.keyLocation, value: walk($0.value))
                    }
                    return TemplateNode(.mapping(TemplateMapping(entries)), at: node.location)
                }
            }
            return walk(node)
        }
    }

    /// Entries in order, refusing a key given twice.
    private struct OrderedEntries {
        var entries: [TemplateMapping.Entry] = []
        var keys: Set<String> = []

        mutating func add(_ entry: TemplateMapping.Entry, from loop: TemplateMapping.Entry?) throws {
            guard keys.insert(entry.key).inserted else {
                throw TemplateError(
                    .structure,
                    loop.map { "\($0.key) makes '\(entry.key)', which is already defined" }
                        ?? "'\(entry.key)' is defined twice",
                    at: loop?.keyLocation ?? entry.keyLocation,
                    hint: "use the identifier in the key (\"${Name}Function\") so that each item makes its own")
            }
            entries.append(entry)
        }
    }
}
