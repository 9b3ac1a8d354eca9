import PrewarmSupport

/// An error found while planning one function: the template parsed, but this function cannot
/// be given an image (unknown runtime, unpublished architecture, malformed layer ARN, …).
public struct PlanError: MessageError, CustomStringConvertible {
    /// What kind of problem this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case unknownRuntime, unsupportedArchitecture, invalidLayerARN, missingImage, conflictingImage, template
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The runtime is not one SAM CLI can run locally.
        public static let unknownRuntime = Code(.unknownRuntime)
        /// The architecture is not x86_64/arm64, or AWS publishes no image of the runtime for it.
        public static let unsupportedArchitecture = Code(.unsupportedArchitecture)
        /// A layer ARN that does not parse.
        public static let invalidLayerARN = Code(.invalidLayerARN)
        /// A Zip function with no runtime, or an Image function with no image.
        public static let missingImage = Code(.missingImage)
        /// Two functions need different images under the one name SAM CLI looks for.
        public static let conflictingImage = Code(.conflictingImage)
        /// The template could not be evaluated for this resource.
        public static let template = Code(.template)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What is wrong, with the inputs it mentions as values.
    public var problem: Message
    /// What to do about it, when there is something useful to say.
    public var advice: Message?

    public init(_ code: Code, _ problem: Message, hint advice: Message? = nil) {
        self.code = code
        self.problem = problem
        self.advice = advice
    }

    /// What is wrong, each input named by its mention.
    public var message: String { problem.description }
    /// What to do about it, each input named by its mention.
    public var hint: String? { advice?.description }

    /// `message; hint`, on one line, with the inputs it mentions as values.
    public var line: Message {
        guard let advice else { return problem }
        return problem + "; " + advice
    }

    /// `message; hint`, on one line.
    public var description: String { line.description }
}
