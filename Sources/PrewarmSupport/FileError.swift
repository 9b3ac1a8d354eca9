/// An error of the file helpers shared by every module (``AtomicFile``, ``ScratchDirectory``,
/// ``FileLock``): a file that could not be read, written, made or locked.
public struct FileError: PrewarmError {
    /// What kind of problem this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case io, notFound
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A file could not be read, written, made or locked.
        public static let io = Code(.io)
        /// A file asked for is not there (and was not to be made).
        public static let notFound = Code(.notFound)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What failed, where, and what to do, on one line.
    public var text: Message
    /// What the system said, when an underlying error caused this one.
    public var cause: Message?
    /// Whether the underlying error says the file system written to is full (see `OutOfSpaceError`).
    public var isOutOfSpace: Bool

    public init(_ code: Code, _ text: Message, cause: (any Error)? = nil) {
        self.code = code
        self.text = text
        self.cause = cause.map(Message.init(describing:))
        self.isOutOfSpace = cause?.ranOutOfSpace ?? false
    }
}
