/// An error that says what failed as a ``Message``: a program prints its ``line`` with the inputs it
/// mentions spelled its own way (flags, for the command line), so that nothing has to find them again in
/// text.
///
/// Every error of prewarm's modules is one: the ``PrewarmError``s, and the template's, plan's, journal's
/// and build session's errors, whose causes are typed values of their own.
public protocol MessageError: Error, Sendable {
    /// What failed, where, and what to do, with what caused it when that helps, on one line.
    var line: Message { get }
}

/// Any error of prewarm's own modules: what failed, where, and what to do, with what the system said.
///
/// Each module throws an error of its own, in its own words (`FileError` here, `ArchiveError`,
/// `RegistryError`, `LayerStoreError`, `EngineError`, …), each with a `code` to tell its kinds apart. A
/// program that only shows a failure catches `any PrewarmError` and prints it, spelling the inputs its
/// ``text`` mentions its own way; one that acts on a kind catches the module's type and looks at its code.
public protocol PrewarmError: MessageError, OutOfSpaceError, CustomStringConvertible {
    /// What failed, where, and what to do, on one line, with the inputs to change as values.
    var text: Message { get }
    /// What the system said, when an underlying error caused this one; the message of a prewarm error
    /// behind this one keeps the inputs it mentions.
    var cause: Message? { get }
}

extension PrewarmError {
    /// ``text``, with each input named by its mention.
    public var message: String { text.description }

    /// ``text``, followed by ``cause`` when there is one.
    public var line: Message {
        guard let cause else { return text }
        return text + ": " + cause
    }

    /// The message, followed by its cause when there is one.
    public var description: String { line.description }
}

extension Message {
    /// What `error` says, as the cause of another error: the ``MessageError/line`` of one of prewarm's
    /// errors, with the inputs it mentions; what `describeSystemError` says of any other.
    public init(describing error: any Error) {
        if let error = error as? any MessageError {
            self = error.line
        } else {
            self.init(describeSystemError(error))
        }
    }
}
