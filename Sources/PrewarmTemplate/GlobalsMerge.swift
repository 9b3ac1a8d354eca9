/// Merges `Globals.Function` into a function's `Properties` the way the SAM translator does.
///
/// - Two mappings merge key by key, recursively.
/// - Two lists concatenate, the global items first (`Layers` from Globals come first), except
///   `Architectures`, which the function's own list replaces.
/// - Anything else, including an intrinsic function on either side, or values of different
///   shapes: the function's own value wins.
/// - `IgnoreGlobals: "*"` on the resource drops every global; a list drops the named ones.
enum GlobalsMerge {
    /// Properties the translator refuses in `Globals.Function` that would change an image.
    static let unsupported: Set<String> = [
        "PackageType", "ImageUri", "ImageConfig", "FunctionName", "Role", "Policies", "Events",
    ]
    /// Properties whose function value replaces the global one even when both are lists.
    static let replaced: Set<String> = ["Architectures"]

    /// The function's properties with the globals it does not ignore merged in.
    ///
    /// - Throws: `TemplateError` when `IgnoreGlobals` names a property that is not a global.
    static func apply(globals: TemplateMapping, to properties: TemplateNode, ignoring ignore: TemplateNode?) throws
        -> TemplateNode
    {
        var globals = globals
        if let ignore {
            if ignore.scalar == "*" { return properties }
            guard let names = ignore.sequence?.map(\.scalar), names.allSatisfy({ $0 != nil }) else {
                throw TemplateError(
                    .structure, "IgnoreGlobals must be \"*\" or a list of property names", at: ignore.location)
            }
            for name in names.compactMap({ $0 }) where globals.entry(name) == nil {
                throw TemplateError(
                    .structure, "IgnoreGlobals names \(name), which is not in Globals.Function", at: ignore.location)
            }
            let dropped = Set(names.compactMap { $0 })
            globals = TemplateMapping(globals.entries.filter { !dropped.contains($0.key) })
        }
        guard let local = properties.mapping else { return properties }
        var entries = globals.entries
        var positions = Self.positions(of: entries)
        for entry in local.entries {
            if let index = positions[entry.key] {
                entries[index].value =
                    replaced.contains(entry.key) ? entry.value : merge(global: entries[index].value, local: entry.value)
                entries[index].keyLocation = entry.keyLocation
            } else {
                positions[entry.key] = entries.count
                entries.append(entry)
            }
        }
        return TemplateNode(.mapping(TemplateMapping(entries)), at: properties.location)
    }

    static func merge(global: TemplateNode, local: TemplateNode) -> TemplateNode {
        switch (shape(global), shape(local)) {
        case (.mapping(let globalMap), .mapping(let localMap)):
            var entries = globalMap.entries
            var positions = Self.positions(of: entries)
            for entry in localMap.entries {
                if let index = positions[entry.key] {
                    entries[index].value = merge(global: entries[index].value, local: entry.value)
                    entries[index].keyLocation = entry.keyLocation
                } else {
                    positions[entry.key] = entries.count
                    entries.append(entry)
                }
            }
            return TemplateNode(.mapping(TemplateMapping(entries)), at: local.location)
        case (.list(let globalItems), .list(let localItems)):
            return TemplateNode(.sequence(globalItems + localItems), at: local.location)
        default:
            return local
        }
    }

    /// Where each key first appears: one lookup per key instead of a search of the list.
    private static func positions(of entries: [TemplateMapping.Entry]) -> [String: Int] {
        var positions = [String: Int](minimumCapacity: entries.count)
        for (index, entry) in entries.enumerated() where positions[entry.key] == nil { positions[entry.key] = index }
        return positions
    }

    private enum Shape {
        case mapping(TemplateMapping)
        case list([TemplateNode])
        case primitive
    }

    private static func shape(_ node: TemplateNode) -> Shape {
        switch node.value {
        case .mapping(let mapping):
            if mapping.count == 1, let key = mapping.entries.first?.key, IntrinsicResolver.isIntrinsic(key) {
                return .primitive
            }
            return .mapping(mapping)
        case .sequence(let items):
            return .list(items)
        case .null, .scalar:
            return .primitive
        }
    }
}
