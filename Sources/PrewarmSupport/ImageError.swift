/// An error of prewarm's image modules (archives, OCI content and registries, the layer cache,
/// the engines): what failed, where, and what to do, with a code to tell kinds apart.
///
/// ``isTransient`` says whether the scheduler may do the node again (see ``TransientError``): only
/// an engine's lost connection, timeout or 5xx/429 answer sets it. The code does not decide it: an
/// `.engineUnavailable` at the start of a run, or a `.registry` or `.download` failure that its client
/// has retried already, is not transient.
public struct ImageError: TransientError, OutOfSpaceError, Sendable, CustomStringConvertible {
    /// What kind of problem this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case io, invalidPath, missingEmulator, engineUnavailable, missingBase, buildFailed, engine
            case notFound, corrupt, invalidArchive, invalidContent, invalidDocument, invalidDigest, unsupported
            case invalidReference, registry, unauthorized, digestMismatch, platformNotFound
            case layerTooLarge, checksumMismatch, download
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A file could not be read or written.
        public static let io = Code(.io)
        /// A path that would leave the archive or the image's directory.
        public static let invalidPath = Code(.invalidPath)
        /// The Lambda runtime interface emulator was not found.
        public static let missingEmulator = Code(.missingEmulator)
        /// Something asked for is not there: a layer's directory, an image or blob in the OCI store,
        /// a layer no longer in the cache.
        public static let notFound = Code(.notFound)
        /// Stored content is damaged: a blob that does not hash to its name, or one an image needs
        /// that is gone. The store needs `verify` and a rebuild of what used it.
        public static let corrupt = Code(.corrupt)
        /// An archive (zip, tar, `docker save`, OCI layout) is damaged, truncated or inconsistent.
        public static let invalidArchive = Code(.invalidArchive)
        /// A layer holds something an image layer cannot: a device, a socket, a FIFO.
        public static let invalidContent = Code(.invalidContent)
        /// A JSON document (an index, manifest or configuration) is not what it should be.
        public static let invalidDocument = Code(.invalidDocument)
        /// A digest or checksum is not written as one (`sha256:` and 64 hex digits, or base64).
        public static let invalidDigest = Code(.invalidDigest)
        /// The content is valid but of a kind prewarm does not handle (an encrypted or multi-part zip,
        /// another OCI layout version, a layer by ARN in a build set up without Lambda).
        public static let unsupported = Code(.unsupported)
        /// No engine answers where one was expected (socket missing, connection refused).
        public static let engineUnavailable = Code(.engineUnavailable)
        /// A base image is not there and may not, or could not, be pulled.
        public static let missingBase = Code(.missingBase)
        /// The engine reported that a build failed.
        public static let buildFailed = Code(.buildFailed)
        /// The engine answered with an error to some other request.
        public static let engine = Code(.engine)
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
        /// A layer's archive expands past the size allowed (the zip-bomb guard).
        public static let layerTooLarge = Code(.layerTooLarge)
        /// A downloaded layer's SHA-256 is not the one expected; nothing was cached.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// A layer could not be downloaded, after retrying what was worth retrying.
        public static let download = Code(.download)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What failed, where, and what to do, on one line.
    public var message: String
    /// What the system said, when an underlying error caused this one.
    public var cause: String?
    /// Whether doing the same work again may succeed, and nothing has retried it yet; `false` unless
    /// the thrower says so.
    public var isTransient: Bool
    /// Whether the underlying error says the file system written to is full (see ``OutOfSpaceError``).
    public var isOutOfSpace: Bool
    /// The setting that `message` tells the reader to change, when it names one (by its `Setting.mention`).
    public var setting: Setting?

    /// - Parameters:
    ///   - transient: whether the failure may pass if the work is done again (``isTransient``).
    ///   - setting: the setting the message tells the reader to change.
    public init(
        _ code: Code, _ message: String, cause: (any Error)? = nil, transient: Bool = false, setting: Setting? = nil
    ) {
        self.code = code
        self.message = message
        self.cause = cause.map(describeSystemError)
        self.isOutOfSpace = cause?.ranOutOfSpace ?? false
        self.isTransient = transient
        self.setting = setting
    }

    public var description: String {
        guard let cause else { return message }
        return "\(message): \(cause)"
    }
}
