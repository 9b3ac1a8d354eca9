import PrewarmSupport

/// An error of PrewarmOCI: an image reference that cannot be read, OCI content that is not what it
/// should be, or a registry that refused, failed or answered with the wrong content.
///
/// A `.registry` failure comes after its client retried what was worth retrying, so nothing above
/// retries it again (see `TransientError`).
public struct RegistryError: PrewarmError {
    /// What kind of problem this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case io, notFound, invalidDocument, invalidReference, registry, unauthorized, digestMismatch
            case platformNotFound, missingBase
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A file could not be read or written.
        public static let io = Code(.io)
        /// Something asked for is not there: an image or blob in a registry.
        public static let notFound = Code(.notFound)
        /// A JSON document (an index, manifest or configuration) is not what it should be.
        public static let invalidDocument = Code(.invalidDocument)
        /// An image reference, a registry mirror or a tag that cannot be read.
        public static let invalidReference = Code(.invalidReference)
        /// A registry could not be reached, or answered with an error or with content it should not have.
        public static let registry = Code(.registry)
        /// A registry refused the request for want of credentials, or refused the credentials given.
        public static let unauthorized = Code(.unauthorized)
        /// Content from a registry does not have the digest it was asked for, or announced.
        public static let digestMismatch = Code(.digestMismatch)
        /// An image index has no image for the requested platform.
        public static let platformNotFound = Code(.platformNotFound)
        /// A base image is not in the registry it was looked for in.
        public static let missingBase = Code(.missingBase)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What failed, where, and what to do, on one line, with the inputs to change as values.
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
