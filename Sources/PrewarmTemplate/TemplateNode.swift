/// One value of a parsed template document, with the place it was written.
///
/// Templates are read into this small, `Sendable` tree instead of YAML library types so that
/// every later step can name a file, line and column in its errors. CloudFormation short tags
/// (`!Ref X`, `!GetAtt A.B`, …) are already expanded to their long forms (`{"Ref": "X"}`).
/// Every scalar is kept as text: CloudFormation compares and substitutes strings.
public struct TemplateNode: Sendable {
    /// The shape of a node.
    public enum Value: Sendable {
        case null
        case scalar(String)
        case sequence([TemplateNode])
        case mapping(TemplateMapping)
    }

    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }

    /// The text of a scalar node; `nil` for any other shape.
    public var scalar: String? {
        if case .scalar(let text) = value { return text }
        return nil
    }

    /// The entries of a mapping node; `nil` for any other shape.
    public var mapping: TemplateMapping? {
        if case .mapping(let mapping) = value { return mapping }
        return nil
    }

    /// The items of a sequence node; `nil` for any other shape.
    public var sequence: [TemplateNode]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    public var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// A word for the node's shape, for error messages: "a string", "a list", "a mapping", "null".
    public var shapeDescription: String {
        switch value {
        case .null: "null"
        case .scalar: "a string"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }

    /// The value of `key` when this node is a mapping that has it; `nil` otherwise.
    public subscript(key: String) -> TemplateNode? {
        mapping?[key]
    }
}

/// An ordered mapping of a template, keeping the order in which keys were written.
///
/// Order matters in templates (layers, resources in error listings), so this is not a
/// `Dictionary`. Large mappings (a `Resources` section with thousands of entries) get an
/// index for lookups.
public struct TemplateMapping: Sendable {
    /// One `key: value` pair and where its key was written.
    public struct Entry: Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: TemplateNode
    }

    public private(set) var entries: [Entry]
    private var index: [String: Int]?

    private static let indexThreshold = 12

    public init(_ entries: [Entry]) {
        self.entries = entries
        if entries.count > Self.indexThreshold {
            var index = [String: Int](minimumCapacity: entries.count)
            for (position, entry) in entries.enumerated() where index[entry.key] == nil {
                index[entry.key] = position
            }
            self.index = index
        }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    /// The entry for `key`, or `nil` when the mapping has no such key.
    public func entry(_ key: String) -> Entry? {
        if let index {
            return index[key].map { entries[$0] }
        }
        return entries.first { $0.key == key }
    }

    /// The value for `key`, or `nil` when the mapping has no such key.
    public subscript(key: String) -> TemplateNode? {
        entry(key)?.value
    }
}
