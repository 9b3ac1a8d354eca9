/// Any error of prewarm's own modules: what failed, where, and what to do, with what the system said.
///
/// Each module throws an error of its own, in its own words (`FileError` here, `ArchiveError`,
/// `RegistryError`, `LayerStoreError`, `EngineError`, …), each with a `code` to tell its kinds apart. A
/// program that only shows a failure catches `any PrewarmError` and prints it, spelling the inputs its
/// ``text`` mentions its own way; one that acts on a kind catches the module's type and looks at its code.
public protocol PrewarmError: OutOfSpaceError, Sendable, CustomStringConvertible {
    /// What failed, where, and what to do, on one line, with the inputs to change as values.
    var text: Message { get }
    /// What the system said, when an underlying error caused this one.
    var cause: String? { get }
}

extension PrewarmError {
    /// ``text``, with each input named by its mention.
    public var message: String { text.description }

    /// The message, followed by its cause when there is one.
    public var description: String { rendered { $0.mention } }

    /// The message with each input spelled by `spell`, followed by its cause when there is one.
    public func rendered(_ spell: (any MessageInput) -> String) -> String {
        let message = text.rendered(spell)
        guard let cause else { return message }
        return "\(message): \(cause)"
    }
}
