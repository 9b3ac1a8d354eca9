import Foundation

extension Journal {
    /// Records the start of a run of this process over the template at `templatePath`.
    ///
    /// Pass the template's path in one normalized form (absolute, standardized): it is how
    /// ``latestUnfinishedRun(templatePath:)`` finds the run again.
    ///
    /// - Parameters:
    ///   - optionsJSON: the options of the run as JSON text, kept as given.
    ///   - prewarmVersion: the version of prewarm making the run.
    /// - Returns: the new run, ``RunOutcome/running``.
    /// - Throws: ``JournalError`` with code ``JournalError/Code/invalidArgument`` when `optionsJSON`
    ///   is not JSON, or when the write fails.
    public func beginRun(templatePath: String, optionsJSON: String, prewarmVersion: String) throws -> RunRecord {
        let options = try? JSONSerialization.jsonObject(with: Data(optionsJSON.utf8), options: .fragmentsAllowed)
        guard options != nil else {
            throw JournalError(
                .invalidArgument, "the options of a run must be JSON, not \(optionsJSON.debugDescription)")
        }
        let startedAt = now()
        return try performing("record a new run") {
            let id = try connection.writeTransaction {
                try connection.execute(
                    """
                    INSERT INTO runs (template_path, options, started_at, outcome, pid, boot_id, prewarm_version)
                    VALUES (?, ?, ?, 'running', ?, ?, ?)
                    """,
                    [templatePath, optionsJSON, startedAt, identity.processID, identity.bootID, prewarmVersion])
                return RunID(rawValue: connection.lastInsertRowID)
            }
            return RunRecord(
                id: id, templatePath: templatePath, optionsJSON: optionsJSON, startedAt: startedAt, endedAt: nil,
                outcome: .running, processID: identity.processID, prewarmVersion: prewarmVersion)
        }
    }

    /// Records the end of run `id` with `outcome`, and releases every claim the run still holds.
    ///
    /// Nodes of the run still ``NodeState/running`` are recorded as ``NodeState/interrupted``:
    /// nothing of the run runs after it ends. Pending nodes stay pending.
    ///
    /// - Throws: ``JournalError`` with code ``JournalError/Code/invalidArgument`` when `outcome` is
    ///   ``RunOutcome/running``, ``JournalError/Code/notFound`` when the journal has no run `id`,
    ///   or when the write fails.
    public func finishRun(_ id: RunID, outcome: RunOutcome) throws {
        guard outcome != .running else {
            throw JournalError(.invalidArgument, "run \(id) cannot be finished as running")
        }
        let endedAt = now()
        try performing("record the end of run \(id)") {
            try connection.writeTransaction {
                try connection.execute(
                    "UPDATE runs SET outcome = ?, ended_at = ? WHERE id = ?", [outcome.rawValue, endedAt, id.rawValue])
                guard connection.changes == 1 else { throw runNotFound(id) }
                try connection.execute(
                    """
                    UPDATE nodes SET state = 'interrupted', ended_at = ?1, duration = ?1 - started_at
                    WHERE run_id = ?2 AND state = 'running'
                    """,
                    [endedAt, id.rawValue])
                try connection.execute("DELETE FROM claims WHERE run_id = ?", [id.rawValue])
            }
        }
    }

    /// The runs of the journal, newest first; at most `limit` of them when it is given.
    public func runs(limit: Int? = nil) throws -> [RunRecord] {
        try performing("list the runs") {
            try connection.query(
                "SELECT \(Journal.runColumns) FROM runs ORDER BY id DESC LIMIT ?", [limit ?? -1], row: runRecord)
        }
    }

    /// Run `id` with its nodes, in the order they were added; `nil` when the journal has no run `id`.
    public func run(_ id: RunID) throws -> RunDetail? {
        try performing("read run \(id)") {
            try connection.readTransaction {
                guard
                    let run = try connection.queryFirst(
                        "SELECT \(Journal.runColumns) FROM runs WHERE id = ?", [id.rawValue], row: runRecord)
                else { return nil }
                let nodes = try connection.query(
                    "SELECT \(Journal.nodeColumns) FROM nodes WHERE run_id = ? ORDER BY rowid", [id.rawValue]
                ) { row in
                    var node = try nodeRecord(row)
                    if run.outcome == .interrupted, node.state == .running { node.state = .interrupted }
                    return node
                }
                return RunDetail(run: run, nodes: nodes)
            }
        }
    }

    /// The run that `--resume` continues for the template at `templatePath`: its newest run, when
    /// that run did not succeed. `nil` when the template has no run, or its newest run succeeded.
    ///
    /// The run's ``RunRecord/outcome`` is ``RunOutcome/failed``, ``RunOutcome/interrupted`` (which
    /// includes a run whose process died), or ``RunOutcome/running`` when its process is still
    /// alive — another prewarm is working on the template right now.
    public func latestUnfinishedRun(templatePath: String) throws -> RunRecord? {
        try performing("find the latest run of \(templatePath)") {
            let newest = try connection.queryFirst(
                "SELECT \(Journal.runColumns) FROM runs WHERE template_path = ? ORDER BY id DESC LIMIT 1",
                [templatePath], row: runRecord)
            guard let newest, newest.outcome != .succeeded else { return nil }
            return newest
        }
    }

    static let runColumns = "id, template_path, options, started_at, ended_at, outcome, pid, boot_id, prewarm_version"

    /// The run in `row` (of ``runColumns``), with `running` read as `interrupted` when its
    /// process is dead.
    func runRecord(_ row: SQLRow) throws -> RunRecord {
        let id = RunID(rawValue: try row.int64(0))
        let outcomeText = try row.text(5)
        guard var outcome = RunOutcome(rawValue: outcomeText) else {
            throw JournalError.unreadable(path: path, "run \(id) with outcome \(outcomeText.debugDescription)")
        }
        let processID = Int32(clamping: try row.int64(6))
        if outcome == .running, !ProcessIdentity.isAlive(processID: processID, bootID: try row.optionalText(7)) {
            outcome = .interrupted
        }
        return RunRecord(
            id: id, templatePath: try row.text(1), optionsJSON: try row.text(2), startedAt: try row.date(3),
            endedAt: try row.optionalDate(4), outcome: outcome, processID: processID, prewarmVersion: try row.text(8))
    }

    /// Throws ``JournalError/Code/notFound`` when the journal has no run `id`.
    func requireRun(_ id: RunID) throws {
        let exists = try connection.queryFirst("SELECT 1 FROM runs WHERE id = ?", [id.rawValue]) { _ in true }
        guard exists != nil else { throw runNotFound(id) }
    }

    func runNotFound(_ id: RunID) -> JournalError {
        JournalError(.notFound, "run \(id) is not in journal \(path)")
    }
}
