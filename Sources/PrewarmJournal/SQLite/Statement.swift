import CSQLite
import Foundation

/// A value that can be bound to a statement parameter.
protocol SQLBindable {
    /// Binds the value to parameter `index` (1-based); returns SQLite's result code.
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32
}

extension String: SQLBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        var text = self
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { characters in
                csqlite_bind_text_transient(statement, index, characters.baseAddress, Int32(characters.count))
            }
        }
    }
}

extension Int64: SQLBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, self)
    }
}

extension Int: SQLBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, Int64(self))
    }
}

extension Int32: SQLBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_int64(statement, index, Int64(self))
    }
}

extension Double: SQLBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_double(statement, index, self)
    }
}

/// Dates are stored as seconds since 1970 (`REAL`): `datetime(started_at, 'unixepoch')` shows
/// them in the `sqlite3` shell.
extension Date: SQLBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        sqlite3_bind_double(statement, index, timeIntervalSince1970)
    }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch self {
        case .some(let value): value.bind(to: statement, at: index)
        case .none: sqlite3_bind_null(statement, index)
        }
    }
}

/// One prepared statement, finalized when released.
final class Statement {
    private let handle: OpaquePointer
    private let database: OpaquePointer
    let sql: String

    init(_ sql: String, on database: OpaquePointer) throws {
        var prepared: OpaquePointer?
        let status = sqlite3_prepare_v2(database, sql, -1, &prepared, nil)
        guard status == SQLITE_OK, let prepared else {
            sqlite3_finalize(prepared)
            throw Connection.failure(of: database, status: status, sql: sql)
        }
        self.handle = prepared
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Binds `values` to the parameters `?1`, `?2`, … in order.
    func bind(_ values: [any SQLBindable]) throws {
        for (offset, value) in values.enumerated() {
            let status = value.bind(to: handle, at: Int32(offset + 1))
            guard status == SQLITE_OK else { throw Connection.failure(of: database, status: status, sql: sql) }
        }
    }

    /// Runs the statement to its next row: `true` when there is a row to read, `false` when done.
    func step() throws -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw Connection.failure(of: database, status: status, sql: sql)
        }
    }

    var columnHandle: OpaquePointer { handle }
}

/// The current row of a statement, read by column index (0-based, in the order of the `SELECT`).
///
/// The accessors for non-optional values throw when the column is `NULL`: the schema never
/// stores `NULL` there, so one means the journal was changed by something other than prewarm.
struct SQLRow {
    let statement: Statement

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(statement.columnHandle, column) == SQLITE_NULL
    }

    func int64(_ column: Int32) throws -> Int64 {
        try requireValue(column)
        return sqlite3_column_int64(statement.columnHandle, column)
    }

    func int(_ column: Int32) throws -> Int { Int(try int64(column)) }

    func double(_ column: Int32) throws -> Double {
        try requireValue(column)
        return sqlite3_column_double(statement.columnHandle, column)
    }

    func text(_ column: Int32) throws -> String {
        try requireValue(column)
        guard let characters = sqlite3_column_text(statement.columnHandle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement.columnHandle, column))
        return String(decoding: UnsafeBufferPointer(start: characters, count: count), as: UTF8.self)
    }

    func date(_ column: Int32) throws -> Date { Date(timeIntervalSince1970: try double(column)) }

    func optionalInt64(_ column: Int32) throws -> Int64? { isNull(column) ? nil : try int64(column) }
    func optionalDouble(_ column: Int32) throws -> Double? { isNull(column) ? nil : try double(column) }
    func optionalText(_ column: Int32) throws -> String? { isNull(column) ? nil : try text(column) }
    func optionalDate(_ column: Int32) throws -> Date? { isNull(column) ? nil : try date(column) }

    private func requireValue(_ column: Int32) throws {
        guard !isNull(column) else {
            throw SQLiteFailure.unexpected("column \(column) is NULL where a value is required", sql: statement.sql)
        }
    }
}
