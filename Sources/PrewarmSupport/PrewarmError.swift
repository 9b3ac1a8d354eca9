/// Any error of prewarm's own modules: what failed, where, and what to do, with what the system said.
///
/// Each module throws an error of its own, in its own words (`FileError` here, `ArchiveError`,
/// `RegistryError`, `LayerStoreError`, `EngineError`, `BuildSessionError`, …), each with a `code` to tell
/// its kinds apart. A program that only shows a failure catches `any PrewarmError` and prints its
/// `description`; one that acts on a kind catches the module's type and looks at its code.
public protocol PrewarmError: Error, Sendable, CustomStringConvertible {
    /// What failed, where, and what to do, on one line.
    var message: String { get }
    /// What the system said, when an underlying error caused this one.
    var cause: String? { get }
}

extension PrewarmError {
    /// The message, followed by its cause when there is one.
    public var description: String {
        guard let cause else { return message }
        return "\(message): \(cause)"
    }
}
