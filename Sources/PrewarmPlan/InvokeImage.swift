/// `--invoke-image [FUNCTION=]URI`: use URI as the base image, for one function or for all.
public struct InvokeImage: Sendable, Hashable {
    /// The function it applies to (`Child/Function` or a logical ID); `nil` for all functions.
    public var function: String?
    public var image: String

    public init(function: String?, image: String) {
        self.function = function
        self.image = image
    }

    /// Parses `FUNCTION=URI` or `URI`. Returns `nil` for an empty image.
    public init?(argument: String) {
        if let equals = argument.firstIndex(of: "=") {
            let function = String(argument[..<equals])
            let image = String(argument[argument.index(after: equals)...])
            guard !function.isEmpty, !image.isEmpty else { return nil }
            self.init(function: function, image: image)
        } else {
            guard !argument.isEmpty else { return nil }
            self.init(function: nil, image: argument)
        }
    }
}
