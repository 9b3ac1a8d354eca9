/// A node of a build graph, by a name that is the same in every run of one template: `layer:…`, `base:…`,
/// `image:…`. The graph (PrewarmPlan), the scheduler and reports (PrewarmRun) and the journal's records
/// (PrewarmJournal) name nodes with it, so that a node ID is never confused with an image name, a digest
/// or a content key; it is here because the journal, which does not know the graph, records its nodes.
///
/// Written as its raw text: in messages (`description`), in JSON (a string, and a dictionary key), in
/// the journal's rows.
public struct NodeID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByStringInterpolation, Codable, CodingKeyRepresentable
{
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The node named `rawValue`.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        rawValue = value
    }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var codingKey: any CodingKey { NodeIDKey(stringValue: rawValue) }

    public init?<T: CodingKey>(codingKey: T) {
        rawValue = codingKey.stringValue
    }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }
}

/// A node ID as a dictionary key in JSON.
private struct NodeIDKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        nil
    }
}
