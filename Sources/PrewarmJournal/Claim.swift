import Foundation

/// A run's exclusive right to build the node with one content key, recorded in the journal.
///
/// See ``Journal/claim(contentKey:for:lease:)`` for the rule that decides who holds a key.
public struct Claim: Sendable, Hashable {
    /// The content key claimed.
    public var contentKey: String
    /// The run that holds it.
    public var runID: RunID
    /// The process of that run.
    public var processID: Int32
    /// When the claim was taken or last renewed.
    public var claimedAt: Date

    public init(contentKey: String, runID: RunID, processID: Int32, claimedAt: Date) {
        self.contentKey = contentKey
        self.runID = runID
        self.processID = processID
        self.claimedAt = claimedAt
    }
}

/// The answer to ``Journal/claim(contentKey:for:lease:)``.
public enum ClaimOutcome: Sendable, Hashable {
    /// The run now holds the key. `takenOverFrom` is the claim it replaced, when a dead process
    /// or an expired lease held it before; `nil` when the key was free.
    case acquired(takenOverFrom: Claim?)
    /// Another run holds the key, and its claim is still good: do not build the node now.
    case held(by: Claim)

    /// Whether the run now holds the key.
    public var isAcquired: Bool {
        if case .acquired = self { return true }
        return false
    }
}
