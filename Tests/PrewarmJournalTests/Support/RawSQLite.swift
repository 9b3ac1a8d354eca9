import CSQLite
import Foundation

/// Direct access to a SQLite file through the C API, with a connection of its own: for tests that
/// look at or change a journal behind the `Journal`'s back.
enum RawSQLite {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs each of `statements` on the file at `path` (created when `create`) and returns the
    /// first column of the last statement's rows, as text.
    @discardableResult
    static func run(_ path: String, create: Bool = false, _ statements: String...) throws -> [String] {
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            sqlite3_close_v2(handle)
            throw Failure(description: "cannot open \(path)")
        }
        defer { sqlite3_close_v2(handle) }
        sqlite3_busy_timeout(handle, 5000)
        var rows: [String] = []
        for sql in statements {
            rows = []
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
                throw Failure(description: "\(sql): \(String(cString: sqlite3_errmsg(handle)))")
            }
            defer { sqlite3_finalize(statement) }
            while true {
                let status = sqlite3_step(statement)
                if status == SQLITE_DONE { break }
                guard status == SQLITE_ROW else {
                    throw Failure(description: "\(sql): \(String(cString: sqlite3_errmsg(handle)))")
                }
                rows.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "NULL")
            }
        }
        return rows
    }
}
