import Foundation
import PrewarmSupport

extension Journal {
    /// Records the nodes run `run` plans to do, as ``NodeState/pending``, keeping their order.
    ///
    /// A node the run already recorded (same node id) is left as it is, so adding the same plan
    /// twice changes nothing.
    ///
    /// - Throws: ``JournalError`` with code ``JournalError/Code/notFound`` when the journal has no
    ///   run `run`, or when the write fails.
    public func addNodes(_ nodes: [PlannedNode], to run: RunID) throws {
        try performing("record the nodes of run \(run)") {
            try connection.writeTransaction {
                try requireRun(run)
                for node in nodes {
                    try connection.execute(
                        """
                        INSERT INTO nodes (run_id, node_id, kind, content_key, state) VALUES (?, ?, ?, ?, 'pending')
                        ON CONFLICT (run_id, node_id) DO NOTHING
                        """,
                        [run.rawValue, node.id.rawValue, node.kind.rawValue, node.contentKey])
                }
            }
        }
    }

    /// Records the start of an attempt at node `nodeID` of run `run`: ``NodeState/running``,
    /// one more attempt, and the time it started. Any earlier attempt's end, output and error are
    /// cleared.
    ///
    /// Start a node only while the run holds the claim of its content key
    /// (see ``claim(contentKey:for:lease:)``).
    ///
    /// - Throws: ``JournalError`` with code ``JournalError/Code/notFound`` when the run has no such
    ///   node, or when the write fails.
    public func startNode(_ nodeID: NodeID, in run: RunID) throws {
        let startedAt = now()
        try performing("record the start of \(nodeID) in run \(run)") {
            try connection.writeTransaction {
                try connection.execute(
                    """
                    UPDATE nodes SET state = 'running', attempts = attempts + 1, started_at = ?, ended_at = NULL,
                        duration = NULL, output_digest = NULL, output_name = NULL, error_message = NULL
                    WHERE run_id = ? AND node_id = ?
                    """,
                    [startedAt, run.rawValue, nodeID.rawValue])
                guard connection.changes == 1 else { throw nodeNotFound(nodeID, in: run) }
            }
        }
    }

    /// Records how node `nodeID` of run `run` ended, and in the same transaction releases the
    /// run's claim of the node's content key, if it holds it.
    ///
    /// Because the result and the release are one write, a process that claims the key next
    /// already sees this result (see ``claim(contentKey:for:lease:)``). The duration recorded is
    /// the time since ``startNode(_:in:)``; none when the node never started.
    ///
    /// - Throws: ``JournalError`` with code ``JournalError/Code/notFound`` when the run has no such
    ///   node, or when the write fails.
    public func finishNode(_ nodeID: NodeID, in run: RunID, result: NodeResult) throws {
        let endedAt = now()
        let output: NodeOutput?
        let message: String?
        switch result {
        case .succeeded(let made): (output, message) = (made, nil)
        case .failed(let failure): (output, message) = (nil, failure.message)
        case .interrupted: (output, message) = (nil, nil)
        case .skipped(let reused, let reason): (output, message) = (reused, reason)
        }
        try performing("record the end of \(nodeID) in run \(run)") {
            try connection.writeTransaction {
                try connection.execute(
                    """
                    UPDATE nodes SET state = ?1, ended_at = ?2, duration = ?2 - started_at, output_digest = ?3,
                        output_name = ?4, error_message = ?5
                    WHERE run_id = ?6 AND node_id = ?7
                    """,
                    [
                        result.state.rawValue, endedAt, output?.digest, output?.name, message, run.rawValue,
                        nodeID.rawValue,
                    ])
                guard connection.changes == 1 else { throw nodeNotFound(nodeID, in: run) }
                try connection.execute(
                    """
                    DELETE FROM claims
                    WHERE content_key = (SELECT content_key FROM nodes WHERE run_id = ?1 AND node_id = ?2)
                        AND run_id = ?1 AND pid = ?3
                    """,
                    [run.rawValue, nodeID.rawValue, identity.processID])
            }
        }
    }

    /// Node `nodeID` of run `run`; `nil` when the run has no such node.
    ///
    /// A node recorded as running in a run whose process is dead reads as ``NodeState/interrupted``.
    public func node(_ nodeID: NodeID, in run: RunID) throws -> NodeRecord? {
        try performing("read \(nodeID) of run \(run)") {
            try connection.readTransaction {
                guard
                    var node = try connection.queryFirst(
                        "SELECT \(Journal.nodeColumns) FROM nodes WHERE run_id = ? AND node_id = ?",
                        [run.rawValue, nodeID.rawValue], row: nodeRecord)
                else { return nil }
                if node.state == .running, try isInterrupted(run) { node.state = .interrupted }
                return node
            }
        }
    }

    /// The most recent node of any run that succeeded with content key `contentKey`; `nil` when
    /// none did.
    ///
    /// A resumed run uses it to skip work already done, after checking that the recorded output
    /// still exists with the recorded digest: the journal is the truth of a run, the engine the
    /// truth of an artifact. Ask while holding the key's claim, so that no other run is building
    /// it at the same time.
    public func latestSucceededNode(contentKey: String) throws -> NodeRecord? {
        try performing("look up the latest build of \(contentKey)") {
            try connection.queryFirst(
                """
                SELECT \(Journal.nodeColumns) FROM nodes WHERE content_key = ? AND state = 'succeeded'
                ORDER BY ended_at DESC, rowid DESC LIMIT 1
                """,
                [contentKey], row: nodeRecord)
        }
    }

    static let nodeColumns = """
        run_id, node_id, kind, content_key, state, attempts, started_at, ended_at, duration, output_digest, \
        output_name, error_message
        """

    /// The node in `row` (of ``nodeColumns``), as recorded.
    func nodeRecord(_ row: SQLRow) throws -> NodeRecord {
        let runID = RunID(rawValue: try row.int64(0))
        let nodeID = NodeID(try row.text(1))
        let kindText = try row.text(2)
        let stateText = try row.text(4)
        guard let kind = NodeKind(rawValue: kindText), let state = NodeState(rawValue: stateText) else {
            throw JournalError.unreadable(
                path: path, "node \(nodeID) of run \(runID) of kind \(kindText.debugDescription) in state \(stateText)")
        }
        return NodeRecord(
            runID: runID, nodeID: nodeID, kind: kind, contentKey: try row.text(3), state: state,
            attempts: try row.int(5), startedAt: try row.optionalDate(6), endedAt: try row.optionalDate(7),
            duration: try row.optionalDouble(8).map { Duration.seconds($0) },
            output: try row.optionalText(9).map { NodeOutput(digest: $0, name: try row.optionalText(10)) },
            errorMessage: try row.optionalText(11))
    }

    /// Whether run `run` reads as interrupted: recorded so, or recorded running by a dead process.
    private func isInterrupted(_ run: RunID) throws -> Bool {
        let record = try connection.queryFirst(
            "SELECT \(Journal.runColumns) FROM runs WHERE id = ?", [run.rawValue], row: runRecord)
        return record?.outcome == .interrupted
    }

    func nodeNotFound(_ nodeID: NodeID, in run: RunID) -> JournalError {
        JournalError(.notFound, "node \(nodeID) of run \(run) is not in journal \(path)")
    }
}
