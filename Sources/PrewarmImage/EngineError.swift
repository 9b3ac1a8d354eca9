import PrewarmSupport

/// An error of PrewarmImage: what an engine (Docker, Podman, the OCI store) could not do, and why.
///
/// ``isTransient`` says whether the scheduler may do the node again (see `TransientError`): only
/// an engine's lost connection, timeout or 5xx/429 answer sets it. The code does not decide it: an
/// `.engineUnavailable` at the start of a run is not transient.
public struct EngineError: PrewarmError, TransientError {
    /// What kind of problem this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case io, notFound, corrupt, invalidArchive, invalidContent, invalidDocument, invalidDigest
            case unsupported, missingEmulator, engineUnavailable, missingBase, buildFailed, engine
            case digestMismatch
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A file could not be read or written.
        public static let io = Code(.io)
        /// Something asked for is not there: a layer's directory, an image or blob in the OCI store.
        public static let notFound = Code(.notFound)
        /// Stored content is damaged: a blob that does not hash to its name, or one an image needs
        /// that is gone. The store needs `verify` and a rebuild of what used it.
        public static let corrupt = Code(.corrupt)
        /// An archive (`docker save`, OCI layout) is damaged, truncated or inconsistent.
        public static let invalidArchive = Code(.invalidArchive)
        /// A layer holds something an image layer cannot: a device, a socket, a FIFO.
        public static let invalidContent = Code(.invalidContent)
        /// A JSON document (an index, manifest or configuration) is not what it should be.
        public static let invalidDocument = Code(.invalidDocument)
        /// A digest is not written as one (`sha256:` and 64 hex digits).
        public static let invalidDigest = Code(.invalidDigest)
        /// The content is valid but of a kind prewarm does not handle (another OCI layout version, an
        /// engine without a feature a build needs).
        public static let unsupported = Code(.unsupported)
        /// The Lambda runtime interface emulator was not found.
        public static let missingEmulator = Code(.missingEmulator)
        /// No engine answers where one was expected (socket missing, connection refused).
        public static let engineUnavailable = Code(.engineUnavailable)
        /// A base image is not there and may not, or could not, be pulled.
        public static let missingBase = Code(.missingBase)
        /// The engine reported that a build failed.
        public static let buildFailed = Code(.buildFailed)
        /// The engine answered with an error to some other request.
        public static let engine = Code(.engine)
        /// Content written to the store does not have the digest it was announced with.
        public static let digestMismatch = Code(.digestMismatch)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What failed, where, and what to do, on one line, with the inputs to change as values.
    public var text: Message
    /// What the system said, when an underlying error caused this one.
    public var cause: Message?
    /// Whether the underlying error says the file system written to is full (see `OutOfSpaceError`).
    public var isOutOfSpace: Bool
    /// Whether doing the same work again may succeed, and nothing has retried it yet; `false` unless
    /// the thrower says so.
    public var isTransient: Bool

    /// - Parameters:
    ///   - transient: whether the failure may pass if the work is done again (``isTransient``).
    public init(_ code: Code, _ text: Message, cause: (any Error)? = nil, transient: Bool = false) {
        self.code = code
        self.text = text
        self.cause = cause.map(Message.init(describing:))
        self.isOutOfSpace = cause?.ranOutOfSpace ?? false
        self.isTransient = transient
    }
}
