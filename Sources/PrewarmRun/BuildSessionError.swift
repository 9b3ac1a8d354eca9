import PrewarmSupport

/// Why a `BuildSession` could not run, or could not finish what it does after the build: what failed,
/// the error behind it, and what to do about it as data (`remedy`), so that each program says it its own way.
///
/// Failures of single nodes are not errors: they are in the report's outcomes.
public struct BuildSessionError: MessageError, CustomStringConvertible {
    /// What kind of problem this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case template, plan, configuration, emulator, engine, baseImages, credentials, journal, publish
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The template cannot be found or read at all (`cause` is a `TemplateError`).
        public static let template = Code(.template)
        /// A function asked for is not in the template (`cause` is a `PlanError`).
        public static let plan = Code(.plan)
        /// Settings that cannot be used together or cannot be read (a registry reference, a mirror).
        public static let configuration = Code(.configuration)
        /// The Lambda runtime interface emulator for an architecture of the plan was not found.
        public static let emulator = Code(.emulator)
        /// No engine answers where one is needed, or the OCI store cannot be opened.
        public static let engine = Code(.engine)
        /// The template's `Metadata.Prewarm.BaseImages` could not be loaded into the Docker engine.
        public static let baseImages = Code(.baseImages)
        /// A layer by ARN must be downloaded and no AWS credentials or region are found.
        public static let credentials = Code(.credentials)
        /// The journal cannot be opened, created or written at the start of the run.
        public static let journal = Code(.journal)
        /// The images were built, but pushing or loading them failed.
        public static let publish = Code(.publish)

        public var description: String { value.rawValue }
    }

    /// What the reader can do about an error.
    public enum Remedy: Sendable, Hashable {
        /// Change this setting (the message says how).
        case change(Setting)
        /// Run the build again with `resume`, to continue what is recorded.
        case resume
        /// Import the base image from an archive into the OCI store (`docker save` where it can be pulled).
        case importBase(String)
        /// Fix the template at this path.
        case editTemplate(String)
    }

    public var code: Code
    /// What failed, where, and what to do, on one line, with the settings and inputs it mentions as values.
    public var text: Message
    /// What to do about it, when one thing helps.
    public var remedy: Remedy?
    /// The error behind this one.
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ text: Message, remedy: Remedy? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.text = text
        self.remedy = remedy
        self.cause = cause
    }

    /// ``text``, each setting named by its `Setting.mention`.
    public var message: String { text.description }
    /// ``text``: the remedy is data, for each program to say its own way.
    public var line: Message { text }
    public var description: String { message }
}
