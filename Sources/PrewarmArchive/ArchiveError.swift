import PrewarmSupport

/// An error of PrewarmArchive: a tar or zip archive that cannot be read, written or safely extracted.
public struct ArchiveError: PrewarmError {
    /// What kind of problem this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case io, invalidPath, notFound, invalidArchive, invalidContent, unsupported, layerTooLarge
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A file could not be read or written.
        public static let io = Code(.io)
        /// A path that would leave the archive or the directory it is extracted into.
        public static let invalidPath = Code(.invalidPath)
        /// Something asked for is not there: a file to archive, an entry of an archive.
        public static let notFound = Code(.notFound)
        /// An archive (zip, tar, `docker save`, OCI layout) is damaged, truncated or inconsistent.
        public static let invalidArchive = Code(.invalidArchive)
        /// A layer holds something an image layer cannot: a device, a socket, a FIFO.
        public static let invalidContent = Code(.invalidContent)
        /// The archive is valid but of a kind prewarm does not handle (an encrypted or multi-part zip).
        public static let unsupported = Code(.unsupported)
        /// A layer's archive expands past the size allowed (the zip-bomb guard).
        public static let layerTooLarge = Code(.layerTooLarge)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What failed, where, and what to do, on one line, with the inputs to change as values.
    public var text: Message
    /// What the system said, when an underlying error caused this one.
    public var cause: Message?
    /// Whether the underlying error says the file system written to is full (see `OutOfSpaceError`).
    public var isOutOfSpace: Bool
    /// For `.layerTooLarge` past the extraction limit: that limit, in bytes (the input is
    /// ``ArchiveInput/maxExpandedSize``).
    public var limit: Int64?

    /// - Parameter limit: the extraction limit that the archive went past, for `.layerTooLarge`.
    public init(_ code: Code, _ text: Message, cause: (any Error)? = nil, limit: Int64? = nil) {
        self.code = code
        self.text = text
        self.cause = cause.map(Message.init(describing:))
        self.isOutOfSpace = cause?.ranOutOfSpace ?? false
        self.limit = limit
    }
}
