/// Something a caller chose that a message can tell its reader to change, as the module that reports the
/// failure knows it: the expansion limit of a zip, the platform asked of a registry, the engine pointed at.
///
/// A module declares its inputs as an enum of its own; PrewarmRun maps each to the build setting a user
/// changes, and a program spells that setting its own way (a flag, a property name). ``mention`` is how a
/// message names the input when nothing spells it otherwise.
public protocol MessageInput: Sendable, CustomStringConvertible {
    /// How a message names this input when no program spells it: a name in backticks.
    var mention: String { get }
}

extension MessageInput {
    /// The ``mention``, so that a plain string interpolation names the input as a ``Message`` does.
    public var description: String { mention }
}

/// A message for people that keeps the inputs it mentions as values, so that each program can spell them
/// its own way: built by string interpolation (`"expands past the limit (\(ArchiveInput.maxExpandedSize))"`),
/// and rendered at the edge with ``rendered(_:)``.
///
/// `description` names each input by its ``MessageInput/mention``.
public struct Message: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringInterpolation {
    /// A piece of a message: text, or an input that it mentions.
    public enum Segment: Sendable {
        case text(String)
        case input(any MessageInput)
    }

    /// The pieces, in order.
    public private(set) var segments: [Segment]

    /// A message of `text` alone.
    public init(_ text: String) {
        segments = text.isEmpty ? [] : [.text(text)]
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public init(stringInterpolation: StringInterpolation) {
        segments = stringInterpolation.segments
    }

    /// The inputs the message mentions, in order.
    public var inputs: [any MessageInput] {
        segments.compactMap { segment in
            if case .input(let input) = segment { return input }
            return nil
        }
    }

    /// The message, with each input it mentions spelled by `spell`.
    public func rendered(_ spell: (any MessageInput) -> String) -> String {
        var result = ""
        for segment in segments {
            switch segment {
            case .text(let text): result += text
            case .input(let input): result += spell(input)
            }
        }
        return result
    }

    /// The message, with each input named by its ``MessageInput/mention``.
    public var description: String { rendered { $0.mention } }

    /// Whether the two read the same, each input named by its mention.
    public static func == (lhs: Message, rhs: Message) -> Bool {
        lhs.description == rhs.description
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(description)
    }

    /// `lhs` followed by `rhs`, keeping the inputs of both.
    public static func + (lhs: Message, rhs: Message) -> Message {
        var joined = lhs
        joined.segments += rhs.segments
        return joined
    }

    /// Collects the text and the inputs of an interpolated string literal.
    public struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var segments: [Segment] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) {
            appendText(literal)
        }

        /// Mentions `input`, kept as a value.
        public mutating func appendInterpolation(_ input: some MessageInput) {
            segments.append(.input(input))
        }

        /// Embeds `message`, keeping its inputs.
        public mutating func appendInterpolation(_ message: Message) {
            segments += message.segments
        }

        /// Embeds what `error` says (its ``MessageError/line``), keeping the inputs it mentions.
        public mutating func appendInterpolation<E: MessageError>(_ error: E) {
            segments += error.line.segments
        }

        /// Any other value, as a string interpolation writes it.
        public mutating func appendInterpolation<T>(_ value: T) {
            appendText(String(describing: value))
        }

        private mutating func appendText(_ text: String) {
            guard !text.isEmpty else { return }
            if case .text(let last)? = segments.last {
                segments[segments.count - 1] = .text(last + text)
            } else {
                segments.append(.text(text))
            }
        }
    }
}

extension Sequence<Message> {
    /// The messages one after another, `separator` between each two, keeping the inputs of all.
    public func joined(separator: String) -> Message {
        var joined = Message("")
        for (index, message) in self.enumerated() {
            if index > 0 { joined = joined + Message(separator) }
            joined = joined + message
        }
        return joined
    }
}
