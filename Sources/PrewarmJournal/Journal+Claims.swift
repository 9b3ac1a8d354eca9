import Foundation
import PrewarmSupport

extension Journal {
    /// The lease of a claim unless the caller gives another: how long a claim stands without
    /// being renewed before another run may take it over, even though its process is alive.
    public static let defaultLease: Duration = .seconds(3600)

    /// Claims content key `contentKey` for run `run` of this process: the right to build the
    /// node with that key, which one run at a time holds across every process using the journal.
    ///
    /// ## The rule
    /// In one `BEGIN IMMEDIATE` transaction, which no other connection can interleave with:
    /// - when no run holds the key, the claim is recorded and the answer is
    ///   ``ClaimOutcome/acquired(takenOverFrom:)`` with `nil`;
    /// - when the holder is *stale*, its claim is replaced and the answer is `acquired` with the
    ///   old claim. A holder is stale when its process is dead — `kill(pid, 0)` fails with
    ///   `ESRCH`, or the claim was recorded during an earlier boot of the machine — or when its
    ///   claim was taken or renewed more than `lease` ago;
    /// - otherwise the answer is ``ClaimOutcome/held(by:)``, also when the holder is `run` itself:
    ///   claims are not re-entrant.
    ///
    /// A claim ends when ``finishNode(_:in:result:)`` records the end of the run's node with the
    /// key, when ``releaseClaim(contentKey:for:)`` releases it, or when ``finishRun(_:outcome:)``
    /// ends the run. A holder whose work may take longer than `lease` calls
    /// ``renewClaim(contentKey:for:)`` well within each lease, or another run may take the key
    /// over and build it too.
    ///
    /// ## Building each node once
    /// 1. Claim the key. When it is held, do other work and claim it again later.
    /// 2. Holding the claim, look for ``latestSucceededNode(contentKey:)`` and check its output.
    ///    When the output is there, record the node as skipped with it, which releases the claim.
    /// 3. Otherwise start the node, build it, and finish it. Finishing records the result and
    ///    releases the claim in one transaction, so whoever claims the key next sees the result
    ///    in step 2 and does not build it again.
    ///
    /// - Throws: ``JournalError`` with code ``JournalError/Code/notFound`` when the journal has no
    ///   run `run`, ``JournalError/Code/busy`` when the journal stayed locked past the busy timeout,
    ///   or when the write fails.
    public func claim(contentKey: String, for run: RunID, lease: Duration = Journal.defaultLease) throws
        -> ClaimOutcome
    {
        try performing("claim \(contentKey) for run \(run)") {
            try connection.writeTransaction {
                let claimedAt = now()
                try requireRun(run)
                let holder = try connection.queryFirst(
                    "SELECT \(Journal.claimColumns), boot_id FROM claims WHERE content_key = ?", [contentKey]
                ) { row in (claim: try claimRecord(row), bootID: try row.optionalText(4)) }
                if let holder {
                    let expired = claimedAt.timeIntervalSince(holder.claim.claimedAt) > lease.seconds
                    let dead = !ProcessIdentity.isAlive(processID: holder.claim.processID, bootID: holder.bootID)
                    guard expired || dead else { return .held(by: holder.claim) }
                }
                try connection.execute(
                    """
                    INSERT INTO claims (content_key, run_id, pid, boot_id, claimed_at) VALUES (?1, ?2, ?3, ?4, ?5)
                    ON CONFLICT (content_key) DO UPDATE
                    SET run_id = ?2, pid = ?3, boot_id = ?4, claimed_at = ?5
                    """,
                    [contentKey, run.rawValue, identity.processID, identity.bootID, claimedAt])
                return .acquired(takenOverFrom: holder?.claim)
            }
        }
    }

    /// Renews run `run`'s claim of `contentKey`, so that its lease starts again now.
    ///
    /// - Returns: `false` when the run (in this process) no longer holds the key: it released it,
    ///   or another run took it over after the lease ran out. Stop building then, for the other
    ///   run is building it.
    public func renewClaim(contentKey: String, for run: RunID) throws -> Bool {
        let claimedAt = now()
        return try performing("renew the claim of \(contentKey) for run \(run)") {
            try connection.writeTransaction {
                try connection.execute(
                    "UPDATE claims SET claimed_at = ? WHERE content_key = ? AND run_id = ? AND pid = ?",
                    [claimedAt, contentKey, run.rawValue, identity.processID])
                return connection.changes == 1
            }
        }
    }

    /// Releases run `run`'s claim of `contentKey`, letting another run claim it.
    ///
    /// - Returns: `false` when the run (in this process) did not hold the key.
    @discardableResult
    public func releaseClaim(contentKey: String, for run: RunID) throws -> Bool {
        try performing("release the claim of \(contentKey) for run \(run)") {
            try connection.writeTransaction {
                try connection.execute(
                    "DELETE FROM claims WHERE content_key = ? AND run_id = ? AND pid = ?",
                    [contentKey, run.rawValue, identity.processID])
                return connection.changes == 1
            }
        }
    }

    /// The claims recorded in the journal, by content key; stale ones included.
    public func claims() throws -> [Claim] {
        try performing("list the claims") {
            try connection.query("SELECT \(Journal.claimColumns) FROM claims ORDER BY content_key", row: claimRecord)
        }
    }

    static let claimColumns = "content_key, run_id, pid, claimed_at"

    /// The claim in `row` (of ``claimColumns``).
    func claimRecord(_ row: SQLRow) throws -> Claim {
        Claim(
            contentKey: try row.text(0), runID: RunID(rawValue: try row.int64(1)),
            processID: Int32(clamping: try row.int64(2)), claimedAt: try row.date(3))
    }
}
