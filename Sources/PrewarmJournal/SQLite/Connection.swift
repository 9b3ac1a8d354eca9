import CSQLite
import Foundation
import PrewarmSupport

/// One SQLite connection.
///
/// Not thread-safe and not `Sendable`: a `Connection` belongs to one ``Journal`` actor, which uses
/// it from its own serial executor only. Every statement is prepared, run and finalized within one
/// call, so no statement outlives the call that made it.
final class Connection {
    private let handle: OpaquePointer
    /// How long a statement waits for another connection's lock before failing with `SQLITE_BUSY`.
    let busyTimeout: Duration

    /// How a connection may use its file.
    enum Access {
        /// Reads and writes, creating the file when absent.
        case readWrite
        /// Reads only: SQLite writes nothing to the database (it may still make the `-shm` file it reads the
        /// write-ahead log through).
        case readOnly
        /// Reads the database file alone, with no locks and no `-shm` or `-wal` file (SQLite's `immutable`):
        /// right only while no one writes it and its write-ahead log is empty.
        case immutable
    }

    /// Opens the database file at `path` (with `.readWrite`, creating it when absent).
    ///
    /// Opening reads nothing: a file that is not a database is only detected by the first
    /// statement. `busyTimeout` is how long a statement waits for another connection's lock
    /// before failing with `SQLITE_BUSY`.
    init(path: String, busyTimeout: Duration, access: Access = .readWrite) throws {
        var opened: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        var name = path
        switch access {
        case .readWrite: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .immutable:
            flags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI
            name = "file:" + Self.uriPath(path) + "?immutable=1"
        }
        let status = sqlite3_open_v2(name, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            let failure =
                opened.map { Connection.failure(of: $0, status: status, sql: nil) }
                ?? SQLiteFailure(code: status, message: String(cString: sqlite3_errstr(status)))
            sqlite3_close_v2(opened)
            throw failure
        }
        handle = opened
        self.busyTimeout = busyTimeout
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, Int32(clamping: Int64(busyTimeout.seconds * 1000)))
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// `path` as the path of a `file:` URI: `%`, `?` and `#` escaped (and made absolute, as a URI's is).
    private static func uriPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var result = ""
        for character in absolute {
            switch character {
            case "%": result += "%25"
            case "?": result += "%3f"
            case "#": result += "%23"
            default: result.append(character)
            }
        }
        return result
    }

    /// Whether a transaction is open on this connection.
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// The number of rows changed by the last `INSERT`, `UPDATE` or `DELETE`.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the last successful `INSERT`.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `sql`, which may hold several statements and takes no parameters.
    func executeScript(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard status == SQLITE_OK else {
            var failure = Connection.failure(of: handle, status: status, sql: sql)
            if let message { failure.message = String(cString: message) }
            throw failure
        }
    }

    /// Runs one statement with `parameters` bound in order, and discards any rows it returns.
    func execute(_ sql: String, _ parameters: [any SQLBindable] = []) throws {
        let statement = try Statement(sql, on: handle)
        try statement.bind(parameters)
        while try statement.step() {}
    }

    /// Runs one statement with `parameters` bound in order, and maps each row it returns.
    func query<Row>(_ sql: String, _ parameters: [any SQLBindable] = [], row: (SQLRow) throws -> Row) throws -> [Row] {
        let statement = try Statement(sql, on: handle)
        try statement.bind(parameters)
        var rows: [Row] = []
        while try statement.step() {
            rows.append(try row(SQLRow(statement: statement)))
        }
        return rows
    }

    /// The first row of `sql`, mapped, or `nil` when it returns none.
    func queryFirst<Row>(_ sql: String, _ parameters: [any SQLBindable] = [], row: (SQLRow) throws -> Row) throws
        -> Row?
    {
        let statement = try Statement(sql, on: handle)
        try statement.bind(parameters)
        guard try statement.step() else { return nil }
        return try row(SQLRow(statement: statement))
    }

    /// Runs `body` in a write transaction: `BEGIN IMMEDIATE … COMMIT`, rolled back when `body` throws.
    ///
    /// `BEGIN IMMEDIATE` takes the database's write lock at once (waiting up to the busy timeout for
    /// another connection to finish), so everything `body` reads is still true when it writes:
    /// no other connection can write in between, and the transaction never fails half-way with
    /// `SQLITE_BUSY` when it goes from reading to writing.
    func writeTransaction<Result>(_ body: () throws -> Result) throws -> Result {
        try execute("BEGIN IMMEDIATE")
        return try finishTransaction(body)
    }

    /// Runs `body` in a read transaction, so that all it reads comes from one snapshot.
    func readTransaction<Result>(_ body: () throws -> Result) throws -> Result {
        try execute("BEGIN DEFERRED")
        return try finishTransaction(body)
    }

    private func finishTransaction<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // SQLite may already have rolled back (on SQLITE_FULL, SQLITE_IOERR, …).
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// The connection's last error as a ``SQLiteFailure``, with the operating system's error
    /// when SQLite reports one (a missing directory, a permission denied).
    static func failure(of handle: OpaquePointer, status: Int32, sql: String?) -> SQLiteFailure {
        var message = String(cString: sqlite3_errmsg(handle))
        let systemError = sqlite3_system_errno(handle)
        if systemError != 0, status & 0xff == SQLITE_CANTOPEN || status & 0xff == SQLITE_IOERR {
            message += ": \(systemErrorMessage(systemError))"
        }
        return SQLiteFailure(code: status, message: message, sql: sql, systemError: systemError)
    }
}
