import CSQLite
import Foundation

/// One step of the journal's schema: the SQL that takes a journal from `version - 1` to `version`.
struct Migration: Sendable {
    /// The schema version after this step; `PRAGMA user_version` records it.
    var version: Int
    /// What the step adds, for readers of the code.
    var summary: String
    /// The statements of the step. Run inside the migration transaction; must not commit.
    var sql: String
}

/// The journal's schema: an ordered list of migrations, and how to apply them.
///
/// A journal's `PRAGMA user_version` is the version of the last migration applied to it, and
/// its `PRAGMA application_id` marks it as prewarm's. A new migration is added at the end of
/// ``migrations`` with the next version; a migration once released is never changed.
enum Schema {
    /// Marks a SQLite file as a prewarm journal: `prew` in ASCII.
    static let applicationID: Int32 = 0x7072_6577

    /// Every migration, in order of version, from 1 without gaps.
    static let migrations: [Migration] = [
        Migration(
            version: 1,
            summary: "runs, their nodes, and claims of content keys",
            sql: """
                CREATE TABLE runs (
                    id              INTEGER PRIMARY KEY AUTOINCREMENT,
                    template_path   TEXT    NOT NULL,
                    options         TEXT    NOT NULL,
                    started_at      REAL    NOT NULL,
                    ended_at        REAL,
                    outcome         TEXT    NOT NULL
                                    CHECK (outcome IN ('running', 'succeeded', 'failed', 'interrupted')),
                    pid             INTEGER NOT NULL,
                    boot_id         TEXT,
                    prewarm_version TEXT    NOT NULL
                );
                CREATE INDEX runs_by_template ON runs (template_path, id);

                CREATE TABLE nodes (
                    run_id        INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                    node_id       TEXT    NOT NULL,
                    kind          TEXT    NOT NULL CHECK (kind IN ('layer', 'base', 'image')),
                    content_key   TEXT    NOT NULL,
                    state         TEXT    NOT NULL CHECK (
                                      state IN ('pending', 'running', 'succeeded', 'failed', 'interrupted', 'skipped')
                                  ),
                    attempts      INTEGER NOT NULL DEFAULT 0,
                    started_at    REAL,
                    ended_at      REAL,
                    duration      REAL,
                    output_digest TEXT,
                    output_name   TEXT,
                    error_message TEXT,
                    PRIMARY KEY (run_id, node_id)
                );
                CREATE INDEX nodes_by_content_key ON nodes (content_key, state, ended_at);

                CREATE TABLE claims (
                    content_key TEXT    PRIMARY KEY,
                    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
                    pid         INTEGER NOT NULL,
                    boot_id     TEXT,
                    claimed_at  REAL    NOT NULL
                );
                CREATE INDEX claims_by_run ON claims (run_id);
                """
        )
    ]

    /// The version of the newest migration in `migrations`, 0 when there is none.
    static func latestVersion(of migrations: [Migration]) -> Int {
        migrations.last?.version ?? 0
    }

    /// Readies the file `connection` has open as a journal: checks that it is one (or empty),
    /// turns on WAL and foreign keys, and applies the migrations it lacks.
    ///
    /// Nothing is written before the checks pass, so a file that is not a journal, or a journal
    /// of a newer schema, is left exactly as it was. The migrations run in one `BEGIN IMMEDIATE`
    /// transaction that reads the version again first, so two processes opening a new journal at
    /// once apply each migration once; if one fails, none is applied.
    static func prepare(_ connection: Connection, path: String, migrations: [Migration]) throws {
        let known = latestVersion(of: migrations)
        // The first read of the file: fails with SQLITE_NOTADB when it is not a database. One read
        // transaction, so that the three values come from one snapshot, not from before and after
        // another process's migration.
        let version = try connection.readTransaction {
            let version = try check(connection, path: path, known: known)
            try checkIntegrity(connection, path: path)
            return version
        }

        // Both need to run outside a transaction. `journal_mode` is persistent and writes the
        // header, so it comes after the checks; `foreign_keys` is per connection.
        try switchToWAL(connection)
        // In WAL mode, NORMAL loses no committed transaction when the process dies and keeps the
        // database consistent on power loss (the last commits may roll back, and a rolled-back
        // success only means a node is built again).
        try connection.execute("PRAGMA synchronous = NORMAL")
        try connection.execute("PRAGMA foreign_keys = ON")

        guard version < known else { return }
        try connection.writeTransaction {
            let version = try check(connection, path: path, known: known)
            for migration in migrations where migration.version > version {
                try connection.executeScript(migration.sql)
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
            try connection.execute("PRAGMA application_id = \(applicationID)")
        }
    }

    /// Opens the journal at `path` to read it, writing nothing to it. As for writing first (a connection that
    /// can, when it closes last, fold the write-ahead log back and remove it and the `-shm` file, as every
    /// prewarm process does), but only reading; when that cannot start because SQLite cannot make or grow the
    /// `-shm` file it reads the log through (a full or read-only file system), read-only; and when that
    /// cannot either, while the log is empty, as an immutable file. Checks the journal as `prepare` does.
    ///
    /// - Returns: the connection, or `nil` when the journal's schema is older than `migrations` (it needs
    ///   migrating, which writes).
    static func openForReading(path: String, busyTimeout: Duration, migrations: [Migration]) throws -> Connection? {
        var failure: SQLiteFailure?
        for access in [Connection.Access.readWrite, .readOnly, .immutable] {
            if access == .immutable {
                var status = stat()
                guard stat(path + "-wal", &status) != 0 || status.st_size == 0 else { break }
            }
            do {
                return try checkedForReading(
                    Connection(path: path, busyTimeout: busyTimeout, access: access), path: path,
                    migrations: migrations)
            } catch let error as SQLiteFailure
                where [SQLITE_FULL, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY].contains(error.primaryCode)
            {
                failure = failure ?? error
            }
        }
        throw failure ?? SQLiteFailure.unexpected("the journal could not be opened to read it")
    }

    private static func checkedForReading(_ connection: Connection, path: String, migrations: [Migration]) throws
        -> Connection?
    {
        let known = latestVersion(of: migrations)
        let version = try connection.readTransaction {
            let version = try check(connection, path: path, known: known)
            try checkIntegrity(connection, path: path)
            return version
        }
        return version == known ? connection : nil
    }

    /// Puts the file in WAL mode, unless it already is.
    ///
    /// The switch needs the file to itself, and SQLite fails it with `SQLITE_BUSY` at once, without
    /// waiting as its busy timeout would, while another connection reads or switches: two
    /// processes opening a new journal together meet that. So the switch is tried again every
    /// 10 ms until the connection's busy timeout has passed. A file another process has already
    /// switched opens in WAL mode and needs nothing.
    private static func switchToWAL(_ connection: Connection) throws {
        let deadline = ContinuousClock.now + connection.busyTimeout
        while true {
            do {
                let mode = try connection.queryFirst("PRAGMA journal_mode") { try $0.text(0) }
                if mode?.lowercased() == "wal" { return }
                try connection.execute("PRAGMA journal_mode = WAL")
            } catch let failure as SQLiteFailure where failure.primaryCode == SQLITE_BUSY {
                guard ContinuousClock.now < deadline else { throw failure }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
    }

    /// Checks every page of the file (`PRAGMA quick_check`: b-trees, free list, records), so
    /// that a damaged journal is refused before anything is written to it, however the damage
    /// looks (a garbage page in the middle, a cut, an overwritten header).
    ///
    /// - Throws: ``JournalError/Code/damaged`` with the first problem SQLite names.
    private static func checkIntegrity(_ connection: Connection, path: String) throws {
        let findings = try connection.query("PRAGMA quick_check(1)") { try $0.text(0) ?? "" }
        guard findings == ["ok"] else {
            let first = findings.first ?? "no answer from quick_check"
            throw JournalError.damaged(path: path, cause: IntegrityFinding(text: first))
        }
    }

    /// The first problem `quick_check` names, kept as the cause of a ``JournalError/Code/damaged``.
    struct IntegrityFinding: Error, Sendable, CustomStringConvertible {
        var text: String
        var description: String { text }
    }

    /// Checks that the file is an empty database or a journal of a schema this prewarm knows,
    /// and returns its schema version. Call it inside a transaction.
    private static func check(_ connection: Connection, path: String, known: Int) throws -> Int {
        let objects = try connection.queryFirst("SELECT count(*) FROM sqlite_master") { try $0.int(0) } ?? 0
        let application = try connection.queryFirst("PRAGMA application_id") { try $0.int64(0) } ?? 0
        let version = try connection.queryFirst("PRAGMA user_version") { try $0.int(0) } ?? 0
        let isEmpty = objects == 0 && application == 0 && version == 0
        guard isEmpty || application == Int64(applicationID) else { throw JournalError.foreignDatabase(path: path) }
        guard version <= known else { throw JournalError.newerSchema(path: path, found: version, known: known) }
        return version
    }
}
