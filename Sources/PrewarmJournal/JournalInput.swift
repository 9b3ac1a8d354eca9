import PrewarmSupport

/// What a caller of PrewarmJournal chose that its messages can tell the reader to change.
public enum JournalInput: MessageInput, CaseIterable {
    /// The journal's file.
    case path

    /// Named as a build configures it (`journalPath`).
    public var mention: String {
        switch self {
        case .path: "`journalPath`"
        }
    }
}
