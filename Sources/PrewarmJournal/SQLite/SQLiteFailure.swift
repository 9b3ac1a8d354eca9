import CSQLite
import Foundation

/// A failure reported by SQLite: its result code and message, and the statement when there is one.
///
/// Internal: the journal turns it into a ``JournalError`` that names the file and what to do,
/// and keeps it as the error's `cause`.
struct SQLiteFailure: Error, Sendable, CustomStringConvertible {
    /// The extended result code (`SQLITE_BUSY_SNAPSHOT`, `SQLITE_IOERR_WRITE`, …).
    var code: Int32
    /// SQLite's message, with the operating system's error when SQLite reported one.
    var message: String
    /// The SQL that failed, when the failure came from a statement.
    var sql: String?
    /// The operating system's `errno` behind the failure, 0 when SQLite names none.
    var systemError: Int32 = 0

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_IOERR`, …).
    var primaryCode: Int32 { code & 0xff }

    /// Whether the file system is full: SQLite's `SQLITE_FULL`, or an I/O error for want of space.
    var isDiskFull: Bool {
        primaryCode == SQLITE_FULL || ([SQLITE_IOERR, SQLITE_CANTOPEN].contains(primaryCode) && systemError == ENOSPC)
    }

    var description: String {
        var text = "\(message) (SQLite result code \(code))"
        if let sql { text += " in `\(sql)`" }
        return text
    }

    /// A failure that SQLite did not report, for values the journal cannot read back.
    static func unexpected(_ message: String, sql: String? = nil) -> SQLiteFailure {
        SQLiteFailure(code: SQLITE_MISMATCH, message: message, sql: sql)
    }
}
