import CSQLite
import Foundation
import PrewarmSupport

/// An error of the journal: a file that cannot be used as one, or a read or write that failed.
///
/// `description` is one line, ready to print: what failed, which journal file, and what to do.
/// The SQLite failure behind it, when there is one, is kept as `cause`.
public struct JournalError: MessageError, CustomStringConvertible {
    /// What kind of problem this is; codes can be added without breaking callers.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case cannotOpen, notAJournal, newerSchema, damaged, busy, notFound, invalidArgument, storage, diskFull
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The file cannot be opened or created for writing (missing directory, no permission,
        /// read-only file system).
        public static let cannotOpen = Code(.cannotOpen)
        /// The file is not a SQLite database, or is the database of another program. It is left
        /// untouched.
        public static let notAJournal = Code(.notAJournal)
        /// The journal was written by a newer prewarm whose schema this one does not know. It is
        /// left untouched.
        public static let newerSchema = Code(.newerSchema)
        /// The journal is a damaged SQLite database.
        public static let damaged = Code(.damaged)
        /// Another process held the journal's lock for longer than the busy timeout.
        public static let busy = Code(.busy)
        /// A run or node that the journal does not hold.
        public static let notFound = Code(.notFound)
        /// A value the journal cannot record, such as options that are not JSON.
        public static let invalidArgument = Code(.invalidArgument)
        /// Any other failure to read or write the file (an I/O error).
        public static let storage = Code(.storage)
        /// The file system holding the journal is full.
        public static let diskFull = Code(.diskFull)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// What failed, where, and what to do, on one line, with the inputs it mentions as values.
    public var text: Message
    /// The failure behind this one, when there is one: SQLite's words, kept out of ``text``.
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ text: Message, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.text = text
        self.cause = cause
    }

    /// ``text``, each input named by its mention.
    public var message: String { text.description }
    /// ``text``: SQLite's words are in ``cause``.
    public var line: Message { text }
    public var description: String { message }
}

extension JournalError: OutOfSpaceError {
    /// Whether the file system holding the journal is full (code ``Code/diskFull``).
    public var isOutOfSpace: Bool { code == .diskFull }
}

extension JournalError {
    /// The error for a SQLite failure while doing `action` (“record the end of run 3”) on the
    /// journal at `path`.
    init(_ failure: SQLiteFailure, path: String, action: String, busyTimeout: Duration) {
        if failure.isDiskFull {
            self.init(
                .diskFull,
                "cannot \(action) in journal \(path): the file system holding it is full "
                    + "(\(systemErrorMessage(ENOSPC))); free some space there, or pass \(JournalInput.path) to keep the "
                    + "journal elsewhere",
                cause: failure)
            return
        }
        switch failure.primaryCode {
        case SQLITE_NOTADB:
            self = .notADatabase(path: path, cause: failure)
        case SQLITE_CORRUPT:
            self = .damaged(path: path, cause: failure)
        case SQLITE_BUSY, SQLITE_LOCKED:
            self.init(
                .busy,
                "cannot \(action): journal \(path) stayed locked by "
                    + "\(JournalLockHolder.describe(path: path) ?? "another process")"
                    + " for more than \(busyTimeout); try again when it is done",
                cause: failure)
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_READONLY, SQLITE_AUTH:
            self.init(
                .cannotOpen,
                "cannot open journal \(path) for writing (\(failure.message)); make sure its directory exists and is "
                    + "writable, or pass \(JournalInput.path) to use another file",
                cause: failure)
        default:
            self.init(.storage, "cannot \(action) in journal \(path): \(failure.message)", cause: failure)
        }
    }

    /// The error for a journal that is a damaged SQLite database; it is left as it is.
    ///
    /// What SQLite found (`Page 9: btreeInitPage() returns error code 11`) is about its own pages, not
    /// something a reader can act on: it is kept as `cause`, out of the message.
    static func damaged(path: String, cause: (any Error & Sendable)? = nil) -> JournalError {
        JournalError(
            .damaged,
            "the journal at \(path) is damaged (SQLite cannot read all of its pages); it was left as it is: move it "
                + "away or pass \(JournalInput.path) to start a new one",
            cause: cause)
    }

    /// The error for a file that is not a SQLite database.
    static func notADatabase(path: String, cause: (any Error & Sendable)? = nil) -> JournalError {
        JournalError(
            .notAJournal,
            "journal \(path) is not a SQLite database; it was left as it is: move it away or pass \(JournalInput.path) to use "
                + "another file",
            cause: cause)
    }

    /// The error for a SQLite database that prewarm did not write.
    static func foreignDatabase(path: String) -> JournalError {
        JournalError(
            .notAJournal,
            "journal \(path) is a SQLite database of another program, not a prewarm journal; it was left as it is: "
                + "move it away or pass \(JournalInput.path) to use another file")
    }

    /// The error for a journal whose schema is newer than this prewarm knows.
    static func newerSchema(path: String, found: Int, known: Int) -> JournalError {
        JournalError(
            .newerSchema,
            "journal \(path) was written by a newer prewarm (schema \(found), this one knows \(known)); "
                + "upgrade prewarm or use \(JournalInput.path) to start a new one")
    }

    /// The error for a value read back from the journal that prewarm does not understand.
    static func unreadable(path: String, _ what: String) -> JournalError {
        JournalError(
            .damaged,
            "journal \(path) holds \(what), which this prewarm does not understand; move it away or pass \(JournalInput.path) "
                + "to start a new one")
    }
}
