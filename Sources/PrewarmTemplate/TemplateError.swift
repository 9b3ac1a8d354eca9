import PrewarmSupport

/// An error caused by a template or by the values given for its parameters.
///
/// Every such error says what is wrong, where (file, line, column, and the resource when
/// there is one) and, where it helps, what to do. `description` is one line, ready to print.
public struct TemplateError: MessageError, CustomStringConvertible {
    /// What kind of problem this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case fileNotFound, unreadable, syntax, structure, intrinsic, parameter, nestedStack, property, limit
            case missingCode
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The template file does not exist.
        public static let fileNotFound = Code(.fileNotFound)
        /// The file exists but cannot be read or is not text.
        public static let unreadable = Code(.unreadable)
        /// The file is not valid YAML or JSON.
        public static let syntax = Code(.syntax)
        /// The document is valid YAML but not a template of the expected shape.
        public static let structure = Code(.structure)
        /// An intrinsic function that cannot be evaluated.
        public static let intrinsic = Code(.intrinsic)
        /// A parameter that is missing, malformed or overridden badly.
        public static let parameter = Code(.parameter)
        /// A nested stack that cannot be read (missing template, cycle).
        public static let nestedStack = Code(.nestedStack)
        /// A resource property with a value prewarm cannot use.
        public static let property = Code(.property)
        /// The template goes past one of its `TemplateLimits` (see `exceededLimit`).
        public static let limit = Code(.limit)
        /// A function's local code (`CodeUri`, `Code`) does not exist: a warning, since prewarm can still
        /// build its image, but `sam local` cannot invoke it.
        public static let missingCode = Code(.missingCode)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What is wrong, without the location, with the inputs it mentions as values.
    public var problem: Message
    /// Where it is wrong, when known.
    public var location: SourceLocation?
    /// What the user can do about it, when there is something useful to say.
    public var advice: Message?
    /// The cap the template went past, for an error with code `.limit`: a command line can
    /// replace `advice` with the option that raises it.
    public var exceededLimit: TemplateLimits.Limit?
    /// For an unset parameter whose advice is to pass it: the `Key=VALUE` to pass with the parameter
    /// overrides, for a nested stack's message about the value its parent passes.
    var parameterOverride: String?

    public init(_ code: Code, _ problem: Message, at location: SourceLocation? = nil, hint advice: Message? = nil) {
        self.code = code
        self.problem = problem
        self.location = location
        self.advice = advice
    }

    /// What is wrong, without the location, each input named by its mention.
    public var message: String { problem.description }
    /// What the user can do about it, each input named by its mention.
    public var hint: String? { advice?.description }

    /// The problem with its advice, without the location: for reports that carry the location apart.
    public var problemWithAdvice: Message {
        guard let advice else { return problem }
        return problem + "; " + advice
    }

    /// ``problemWithAdvice``, each input named by its mention.
    public var messageWithHint: String { problemWithAdvice.description }

    /// `file:line:column: message; hint`, on one line, with the inputs it mentions as values.
    public var line: Message {
        guard let location else { return problemWithAdvice }
        return "\(location): " + problemWithAdvice
    }

    /// `file:line:column: message; hint`, on one line.
    public var description: String { line.description }
}
