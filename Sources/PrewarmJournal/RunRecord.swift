import Foundation

/// The number that identifies a run in its journal; runs begun later have larger numbers.
public struct RunID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: RunID, rhs: RunID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}

/// How a run ended, or that it has not.
public enum RunOutcome: String, Sendable, Hashable, CaseIterable {
    /// Begun and not finished, by a process that is still alive.
    case running
    /// Every node succeeded or was skipped as already done.
    case succeeded
    /// At least one node failed.
    case failed
    /// Stopped before it finished: cancelled, or its process died (see ``RunRecord/outcome``).
    case interrupted
}

/// One run of prewarm over one template, as recorded in the journal.
public struct RunRecord: Sendable, Hashable {
    /// The run's number in its journal.
    public var id: RunID
    /// The template's path, as the caller gave it to ``Journal/beginRun(templatePath:optionsJSON:prewarmVersion:)``.
    public var templatePath: String
    /// The options of the run (architectures, engine, parameters, …) as JSON text.
    public var optionsJSON: String
    /// When the run began.
    public var startedAt: Date
    /// When the run finished; `nil` while it runs and when its process died before finishing.
    public var endedAt: Date?
    /// How the run ended.
    ///
    /// A run recorded as `running` whose process is no longer alive (it was killed, or the machine
    /// restarted) reads as ``RunOutcome/interrupted``; the row itself is left as it is.
    public var outcome: RunOutcome
    /// The process that ran it.
    public var processID: Int32
    /// The version of prewarm that ran it.
    public var prewarmVersion: String

    public init(
        id: RunID, templatePath: String, optionsJSON: String, startedAt: Date, endedAt: Date?, outcome: RunOutcome,
        processID: Int32, prewarmVersion: String
    ) {
        self.id = id
        self.templatePath = templatePath
        self.optionsJSON = optionsJSON
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.processID = processID
        self.prewarmVersion = prewarmVersion
    }
}

/// A run with the nodes it recorded, in the order they were added.
public struct RunDetail: Sendable, Hashable {
    public var run: RunRecord
    public var nodes: [NodeRecord]

    public init(run: RunRecord, nodes: [NodeRecord]) {
        self.run = run
        self.nodes = nodes
    }
}
