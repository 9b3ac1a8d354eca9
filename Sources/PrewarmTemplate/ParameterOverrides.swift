/// Values for template parameters given on the command line, in SAM CLI's forms.
///
/// `--parameter-overrides` takes `Key=Value Key2=Value2` and also
/// `ParameterKey=Key,ParameterValue=Value`; values may be quoted with `"` or `'` to hold
/// spaces, and the flag may be given several times (later values win).
///
/// As in SAM CLI, one argument that holds any `ParameterKey=` pair is read for those pairs
/// only: its plain `Key=Value` pairs are ignored (and listed in `ignored`), so that prewarm
/// plans with the values `sam local` will use.
public struct ParameterOverrides: Sendable, Hashable {
    /// Values by parameter name, in the order they were first given.
    public private(set) var values: [(name: String, value: String)] = []
    /// `Key=Value` pairs that SAM CLI ignores because their argument also uses the
    /// `ParameterKey=` form.
    public private(set) var ignored: [String] = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { set(name, value) }
    }

    /// Parses every `--parameter-overrides` argument, in order.
    ///
    /// - Throws: `TemplateError` with code `.parameter`, naming the token that is not of
    ///   either form.
    public init(parsing arguments: [String]) throws {
        for argument in arguments {
            let pairs = try Self.parse(argument)
            let longForm = pairs.contains { $0.longForm }
            for pair in pairs {
                if longForm && !pair.longForm {
                    ignored.append("\(pair.name)=\(pair.value)")
                } else {
                    set(pair.name, pair.value)
                }
            }
        }
    }

    /// The value for `name`, or `nil` when none was given.
    public subscript(name: String) -> String? {
        values.last { $0.name == name }?.value
    }

    public var names: [String] { values.map(\.name) }

    public var isEmpty: Bool { values.isEmpty }

    public mutating func set(_ name: String, _ value: String) {
        if let index = values.firstIndex(where: { $0.name == name }) {
            values[index].value = value
        } else {
            values.append((name, value))
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.values.elementsEqual(rhs.values) { $0.name == $1.name && $0.value == $1.value }
            && lhs.ignored == rhs.ignored
    }

    public func hash(into hasher: inout Hasher) {
        for (name, value) in values {
            hasher.combine(name)
            hasher.combine(value)
        }
    }

    struct Pair {
        var name: String
        var value: String
        /// Written as `ParameterKey=…,ParameterValue=…`.
        var longForm: Bool
    }

    static func parse(_ argument: String) throws -> [Pair] {
        var pairs: [Pair] = []
        var scanner = Scanner(Array(argument.unicodeScalars))
        while true {
            scanner.skipSpaces()
            if scanner.atEnd { break }
            let start = scanner.position
            let key = scanner.scan(until: { $0 == "=" || $0 == " " || $0 == "\t" || $0 == "," })
            guard !key.isEmpty, scanner.take("=") else {
                throw invalid(argument, near: scanner.text(from: start))
            }
            if key == "ParameterKey" {
                let name = try scanner.scanValue(stoppingAtComma: true)
                guard !name.isEmpty, scanner.take(","), scanner.take("ParameterValue=") else {
                    throw invalid(argument, near: scanner.text(from: start))
                }
                pairs.append(Pair(name: name, value: try scanner.scanValue(stoppingAtComma: false), longForm: true))
            } else {
                pairs.append(Pair(name: key, value: try scanner.scanValue(stoppingAtComma: false), longForm: false))
            }
        }
        return pairs
    }

    static func invalid(_ argument: String, near token: String) -> TemplateError {
        TemplateError(
            .parameter, "\(TemplateInput.parameterOverrides): cannot read '\(token)' in '\(argument)'",
            hint: """
                write Key=Value pairs separated by spaces (quote values with spaces: Key="a b"), \
                or ParameterKey=Key,ParameterValue=Value
                """)
    }

    private struct Scanner {
        let characters: [Unicode.Scalar]
        var position = 0

        init(_ characters: [Unicode.Scalar]) { self.characters = characters }

        var atEnd: Bool { position >= characters.count }

        func text(from start: Int) -> String {
            let end = min(characters.count, max(position, start + 1))
            var text = String.UnicodeScalarView()
            text.append(contentsOf: characters[start..<end])
            return String(text)
        }

        mutating func skipSpaces() {
            while !atEnd,
                characters[position] == " " || characters[position] == "\t"
                    || characters[position] == "\n"
            {
                position += 1
            }
        }

        mutating func scan(until stop: (Unicode.Scalar) -> Bool) -> String {
            var text = String.UnicodeScalarView()
            while !atEnd, !stop(characters[position]) {
                text.append(characters[position])
                position += 1
            }
            return String(text)
        }

        mutating func take(_ literal: String) -> Bool {
            let scalars = Array(literal.unicodeScalars)
            guard position + scalars.count <= characters.count,
                Array(characters[position..<position + scalars.count]) == scalars
            else { return false }
            position += scalars.count
            return true
        }

        /// A value: a quoted string (backslash escapes its quote) or a run of non-space text.
        mutating func scanValue(stoppingAtComma: Bool) throws -> String {
            guard !atEnd else { return "" }
            let quote = characters[position]
            guard quote == "\"" || quote == "'" else {
                return scan(until: { $0 == " " || $0 == "\t" || $0 == "\n" || (stoppingAtComma && $0 == ",") })
            }
            let start = position
            position += 1
            var value = String.UnicodeScalarView()
            while !atEnd, characters[position] != quote {
                if characters[position] == "\\", position + 1 < characters.count {
                    position += 1
                }
                value.append(characters[position])
                position += 1
            }
            guard !atEnd else {
                throw TemplateError(
                    .parameter, "\(TemplateInput.parameterOverrides): unterminated quote in '\(text(from: start))'",
                    hint: "close the quote: Key=\"value with spaces\"")
            }
            position += 1
            return String(value)
        }
    }
}
