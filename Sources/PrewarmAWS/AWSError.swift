import PrewarmSupport

/// Why an AWS configuration could not be resolved or an AWS request failed.
///
/// `message` is one line: what failed, where (the variable, file or layer ARN), and what to do. It never
/// contains a secret access key, a session token or the signature of a pre-signed URL.
public struct AWSError: MessageError, CustomStringConvertible {
    /// What kind of failure this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case missingCredentials, invalidConfiguration, missingRegion, invalidLayerARN
            case accessDenied, notFound, transient, requestFailed, invalidResponse
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// No credentials were found in the environment or the profile, or only half of a key pair.
        public static let missingCredentials = Code(.missingCredentials)
        /// A configuration file or variable cannot be used (an unreadable file, an unknown profile).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// No region is set where one is needed.
        public static let missingRegion = Code(.missingRegion)
        /// A layer version ARN is malformed.
        public static let invalidLayerARN = Code(.invalidLayerARN)
        /// AWS refused the credentials or the permission (403, `AccessDeniedException`,
        /// `UnrecognizedClientException`, `InvalidSignatureException`, …).
        public static let accessDenied = Code(.accessDenied)
        /// The layer version does not exist, or is not visible to the caller (`ResourceNotFoundException`).
        public static let notFound = Code(.notFound)
        /// A failure worth trying again later: a 5xx, throttling (429), a lost connection, a timeout.
        public static let transient = Code(.transient)
        /// The request failed for another reason (a 4xx not listed above, a TLS failure, a bad endpoint).
        public static let requestFailed = Code(.requestFailed)
        /// The service answered 2xx with a body that cannot be used.
        public static let invalidResponse = Code(.invalidResponse)

        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// One line: what failed, where, and what to do.
    public var message: String

    /// Whether trying again later may succeed (``Code/transient``).
    public var isTransient: Bool { code == .transient }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
    /// ``message``: no input of a build is named in it.
    public var line: Message { Message(message) }
}

extension AWSError {
    /// The error for a malformed layer ARN: code ``Code/invalidLayerARN``, the problem and how to write one.
    public init(_ malformed: LayerARN.Malformed) {
        self.init(.invalidLayerARN, malformed.description)
    }
}
