import Foundation
import PrewarmSupport

/// What a node of the build graph produces.
public enum NodeKind: String, Sendable, Hashable, CaseIterable {
    /// A Lambda layer's content, downloaded and unpacked.
    case layer
    /// A base image (`public.ecr.aws/lambda/<runtime>:<tag>`).
    case base
    /// A local-invoke image: a base image plus the emulator and the function's layers.
    case image
}

/// Where a node stands in its run.
public enum NodeState: String, Sendable, Hashable, CaseIterable {
    /// Planned, not started.
    case pending
    /// Started and not finished, by a process that is still alive.
    case running
    /// Built, with an output the journal records.
    case succeeded
    /// Its last attempt failed.
    case failed
    /// Stopped before it finished: cancelled, or its run's process died (see ``NodeRecord/state``).
    case interrupted
    /// Not built in this run: an earlier run's verified output was reused, or it was not needed.
    case skipped
}

/// A node of the build graph, as a run records it before starting any work.
public struct PlannedNode: Sendable, Hashable {
    /// The node's id in the graph, such as `image:samcli/lambda-python:3.12-x86_64-abc`.
    public var id: NodeID
    public var kind: NodeKind
    /// The hash of everything that decides the node's output.
    public var contentKey: String

    public init(id: NodeID, kind: NodeKind, contentKey: String) {
        self.id = id
        self.kind = kind
        self.contentKey = contentKey
    }
}

/// What a node produced: an artifact's digest and, for images, the name it was given.
public struct NodeOutput: Sendable, Hashable {
    /// The content digest of the artifact (`sha256:…`).
    public var digest: String
    /// The name of the artifact, such as the image's tag; `nil` when it has none.
    public var name: String?

    public init(digest: String, name: String? = nil) {
        self.digest = digest
        self.name = name
    }
}

/// Why an attempt at a node failed, as the journal keeps it: the error rendered for people (the error itself
/// stays with the run that threw it; a journal outlives it, so it keeps the words).
public struct NodeFailure: Sendable, Hashable {
    /// Why, ready to show to the user.
    public var message: String

    public init(message: String) {
        self.message = message
    }
}

/// How one attempt at a node ended.
public enum NodeResult: Sendable, Hashable {
    /// Built; `output` is what was made.
    case succeeded(NodeOutput)
    /// Failed, for the reason the journal keeps.
    case failed(NodeFailure)
    /// Cancelled before it finished.
    case interrupted
    /// Not built: `reused` is an earlier run's output that was checked and reused, if any, and
    /// `reason` says why the node was skipped (for example that a dependency failed).
    case skipped(reused: NodeOutput?, reason: String?)

    /// Failed; `message` says why, ready to show to the user.
    public static func failed(message text: String) -> NodeResult {
        .failed(NodeFailure(message: text))
    }

    var state: NodeState {
        switch self {
        case .succeeded: .succeeded
        case .failed: .failed
        case .interrupted: .interrupted
        case .skipped: .skipped
        }
    }
}

/// One node of one run, as recorded in the journal.
public struct NodeRecord: Sendable, Hashable {
    /// The run the node belongs to.
    public var runID: RunID
    /// The node's id in the graph, such as `image:samcli/lambda-python:3.12-x86_64-abc`.
    public var nodeID: NodeID
    public var kind: NodeKind
    /// The hash of everything that decides the node's output.
    public var contentKey: String
    /// Where the node stands.
    ///
    /// A node recorded as `running` in a run whose process is no longer alive reads as
    /// ``NodeState/interrupted``.
    public var state: NodeState
    /// How many times the node was started in this run.
    public var attempts: Int
    /// When the last attempt started; `nil` while pending.
    public var startedAt: Date?
    /// When the node reached its final state; `nil` until then.
    public var endedAt: Date?
    /// How long the last attempt took; `nil` until it ended, or when the node ended without starting.
    public var duration: Duration?
    /// What the node produced, when it succeeded or reused an earlier output.
    public var output: NodeOutput?
    /// Why the node failed or was skipped.
    public var errorMessage: String?

    public init(
        runID: RunID, nodeID: NodeID, kind: NodeKind, contentKey: String, state: NodeState, attempts: Int,
        startedAt: Date?, endedAt: Date?, duration: Duration?, output: NodeOutput?, errorMessage: String?
    ) {
        self.runID = runID
        self.nodeID = nodeID
        self.kind = kind
        self.contentKey = contentKey
        self.state = state
        self.attempts = attempts
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.duration = duration
        self.output = output
        self.errorMessage = errorMessage
    }
}
