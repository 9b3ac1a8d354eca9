import Foundation

/// The SQLite journal of build runs: what each run planned, did and produced, and which run is
/// building which content key right now.
///
/// A journal is one SQLite file in WAL mode, shared by every prewarm process that is given its
/// path. Each `Journal` is one connection to it. Every write is one transaction, so a process
/// killed at any moment leaves the journal as it was before or after each write, never between.
///
/// ## Concurrency
/// `Journal` is an actor, safe to use from any number of tasks: its calls run one at a time on
/// the one connection, each as a short transaction. The actor runs on its own serial executor,
/// a dispatch queue, not on Swift's cooperative thread pool: SQLite calls block (a write may wait
/// up to `busyTimeout` for another process's lock), and blocking is harmless on a Dispatch
/// thread but would stall the cooperative pool, which has only one thread per core.
///
/// Several processes (or several `Journal`s in one process) may share a file; SQLite's locks keep
/// it consistent, and ``claim(contentKey:for:lease:)`` keeps them from building the same node twice.
///
/// ## Schema
/// The file records its schema version in `PRAGMA user_version`. Opening applies the migrations
/// it lacks, in one transaction. A journal written by a newer prewarm, a file that is not a SQLite
/// database, and a SQLite database of another program are refused with a ``JournalError`` and
/// left untouched.
public actor Journal {
    /// The path of the journal file, as given.
    public nonisolated let path: String
    /// How long a call waits for another process's lock before failing with ``JournalError/Code/busy``.
    public nonisolated let busyTimeout: Duration

    let connection: Connection
    let identity: ProcessIdentity
    let now: @Sendable () -> Date
    private let executor: JournalExecutor

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        executor.asUnownedSerialExecutor()
    }

    /// The schema version this prewarm writes.
    public static var schemaVersion: Int { Schema.latestVersion(of: Schema.migrations) }

    /// Opens the journal at `path`, creating it when there is no file there, and migrates it to
    /// this prewarm's schema.
    ///
    /// The directory must exist; where the journal lives is the caller's choice.
    ///
    /// - Throws: ``JournalError`` with code ``JournalError/Code/notAJournal`` when the file is not
    ///   a SQLite database or is another program's, ``JournalError/Code/newerSchema`` when a newer
    ///   prewarm wrote it, ``JournalError/Code/cannotOpen`` when it cannot be opened for writing,
    ///   and ``JournalError/Code/busy`` when another process holds its lock for longer than
    ///   `busyTimeout`.
    public init(path: String, busyTimeout: Duration = .seconds(5)) async throws {
        try await self.init(path: path, busyTimeout: busyTimeout, migrations: Schema.migrations)
    }

    /// Opens the journal with the given migrations, as this process or as another (for tests).
    init(
        path: String,
        busyTimeout: Duration = .seconds(5),
        migrations: [Migration],
        identity: ProcessIdentity = .current,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws {
        let executor = JournalExecutor(label: "prewarm.journal")
        let connection = try await executor.run {
            do {
                let connection = try Connection(path: path, busyTimeout: busyTimeout)
                try Schema.prepare(connection, path: path, migrations: migrations)
                return connection
            } catch let failure as SQLiteFailure {
                throw JournalError(failure, path: path, action: "set up the schema", busyTimeout: busyTimeout)
            }
        }
        self.init(
            connection: connection, executor: executor, path: path, busyTimeout: busyTimeout, identity: identity,
            now: now)
    }

    /// Opens the existing journal at `path` to read it (`prewarm runs`, `prewarm status`), writing nothing, so
    /// that a journal on a full or read-only file system can still be read. A journal of an older schema is
    /// opened as `init(path:busyTimeout:)` opens it, to be migrated first.
    ///
    /// - Throws: ``JournalError`` as `init(path:busyTimeout:)` does: ``JournalError/Code/notFound`` when there
    ///   is no file at `path`, ``JournalError/Code/damaged`` for a damaged journal, ``JournalError/Code/diskFull`` when even reading needs space the file system lacks (a
    ///   write-ahead log to read through).
    public init(readingAt path: String, busyTimeout: Duration = .seconds(5)) async throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw JournalError(.notFound, "there is no journal at \(path)")
        }
        let executor = JournalExecutor(label: "prewarm.journal")
        let reader = try await executor.run { () throws -> Connection? in
            do {
                return try Schema.openForReading(path: path, busyTimeout: busyTimeout, migrations: Schema.migrations)
            } catch let failure as SQLiteFailure {
                throw JournalError(failure, path: path, action: "read the runs", busyTimeout: busyTimeout)
            }
        }
        if let reader {
            self.init(
                connection: reader, executor: executor, path: path, busyTimeout: busyTimeout, identity: .current,
                now: { Date() })
        } else {
            try await self.init(path: path, busyTimeout: busyTimeout)
        }
    }

    private init(
        connection: sending Connection, executor: JournalExecutor, path: String, busyTimeout: Duration,
        identity: ProcessIdentity, now: @escaping @Sendable () -> Date
    ) {
        self.connection = connection
        self.executor = executor
        self.path = path
        self.busyTimeout = busyTimeout
        self.identity = identity
        self.now = now
    }

    /// The value of `PRAGMA name` on this connection (`journal_mode`, `foreign_keys`, …), for
    /// diagnostics and tests; `nil` when the pragma returns nothing.
    func pragma(_ name: String) throws -> String? {
        try performing("read PRAGMA \(name)") {
            try connection.queryFirst("PRAGMA \(name)") { try $0.text(0) }
        }
    }

    /// Runs `body`, turning a SQLite failure into a ``JournalError`` that says it happened while
    /// trying to do `action` (“record the end of run 3”) on this journal.
    func performing<Result>(_ action: @autoclosure () -> String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let failure as SQLiteFailure {
            throw JournalError(failure, path: path, action: action(), busyTimeout: busyTimeout)
        }
    }
}
