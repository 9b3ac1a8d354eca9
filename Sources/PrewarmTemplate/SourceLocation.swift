/// A place in a template file, for error messages: `template.yaml:12:5`.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The path of the template file, as the user gave it or as resolved for a nested stack.
    public var file: String
    /// Line number, starting at 1; 0 when unknown.
    public var line: Int
    /// Column number, starting at 1; 0 when unknown.
    public var column: Int

    public init(file: String, line: Int = 0, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `file:line:column`, or `file` alone when the position is unknown.
    public var description: String {
        line > 0 ? "\(file):\(line):\(column)" : file
    }
}
