import PrewarmSupport

/// An error of PrewarmLayers: a Lambda layer that cannot be downloaded, verified, extracted or cached.
///
/// A `.download` failure comes after the download was retried as far as was worth it, so nothing
/// above retries it again (see `TransientError`).
public struct LayerStoreError: PrewarmError {
    /// What kind of problem this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case io, invalidPath, notFound, invalidArchive, invalidDigest, checksumMismatch, download
            case unsupported
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A file could not be read or written.
        public static let io = Code(.io)
        /// A layer's name or path that would leave the layer cache.
        public static let invalidPath = Code(.invalidPath)
        /// Something asked for is not there: a layer's directory, a layer no longer in the cache.
        public static let notFound = Code(.notFound)
        /// A layer's zip is damaged, or changed while it was read.
        public static let invalidArchive = Code(.invalidArchive)
        /// A digest or checksum is not written as one (`sha256:` and 64 hex digits, or base64).
        public static let invalidDigest = Code(.invalidDigest)
        /// A downloaded layer's SHA-256 is not the one expected; nothing was cached.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// A layer could not be downloaded, after retrying what was worth retrying.
        public static let download = Code(.download)
        /// A layer of a kind this build cannot get: one by ARN in a build set up without Lambda.
        public static let unsupported = Code(.unsupported)

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
