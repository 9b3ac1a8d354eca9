/// The header fields of a request or a response, in the order they were given or received.
///
/// Names compare without regard to case, as HTTP says. A name may occur more than once.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// One header field.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    private var fields: [Field]

    /// Headers with no field.
    public init() {
        fields = []
    }

    /// Headers with these fields, in this order.
    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { Field(name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The value of the first field named `name`, or `nil` when there is none.
    public subscript(name: String) -> String? {
        fields.first { $0.name.caseInsensitiveEquals(name) }?.value
    }

    /// The values of every field named `name`, in order; empty when there is none.
    public func values(for name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }

    /// Adds a field after the others, keeping any of the same name.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field named `name` by one with `value`.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    /// Removes every field named `name`.
    public mutating func remove(name: String) {
        fields.removeAll { $0.name.caseInsensitiveEquals(name) }
    }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[Field]> {
        fields.makeIterator()
    }

    /// The fields as `Name: value, …`, with the values of credential-bearing fields
    /// (`Authorization`, `Cookie`, `X-Registry-Auth`, `X-Amz-Security-Token`, …) replaced by `REDACTED`.
    public var description: String {
        fields.map { field in
            let secret = Self.credentialFieldNames.contains(field.name.lowercased())
            return "\(field.name): \(secret ? URLRedaction.placeholder : field.value)"
        }.joined(separator: ", ")
    }

    static let credentialFieldNames: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-registry-auth", "x-registry-config",
        "x-amz-security-token", "x-api-key",
    ]
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        utf8.count == other.utf8.count && lowercased() == other.lowercased()
    }
}
