import PrewarmJournal
import PrewarmPlan
import PrewarmSupport

/// What a build's run of the scheduler ended with, as the journal recorded it, and what it means for
/// the reader: every function's result and the failures, each said once. The library builds these; a
/// program (the CLI) only renders them.
public struct RunReport: Sendable {
    /// The run, as the journal records it.
    public var runID: RunID
    /// Every node's outcome, and whether the run was interrupted.
    public var summary: RunSummary
    /// Journal writes that failed (the run went on); empty when all were recorded.
    public var journalProblems: [Message]
    /// How every planned function's image ended, in plan order.
    public var functions: [FunctionResult]
    /// The failed nodes, for the reader.
    public var failures: FailureReport

    package init(runID: RunID, summary: RunSummary, plan: Plan, journalProblems: [Message]) {
        self.runID = runID
        self.summary = summary
        self.journalProblems = journalProblems
        functions = summary.functionResults(of: plan)
        failures = FailureReport(plan: plan, outcomes: summary.outcomes)
    }
}

/// How one planned function's image ended.
public struct FunctionResult: Sendable {
    /// The function, for one architecture, and its image.
    public var function: PlannedFunction
    /// How its image node ended; `nil` when the run has no outcome for it.
    public var outcome: NodeOutcome?
}

extension RunSummary {
    /// How every function of `plan` ended, in plan order.
    public func functionResults(of plan: Plan) -> [FunctionResult] {
        plan.functions.map { FunctionResult(function: $0, outcome: outcomes[$0.nodeID]) }
    }
}

/// The failed nodes of a run, each with the functions it fails, in plan order. A full disk fails every
/// node that writes after it: those failures (`ranOutOfSpace`) are kept apart, for the reader to be told
/// once, with what to do (free space, then resume).
public struct FailureReport: Sendable {
    /// A failed node.
    public struct Failure: Sendable {
        /// The node's ID.
        public var node: NodeID
        /// What its work threw.
        public var error: any Error & Sendable
        /// The functions it fails, as `Name (arch)`, sorted: the image's own, or those of every image that
        /// needs the node.
        public var functions: [String]
    }

    /// The failures but those of a full disk.
    public var failures: [Failure] = []
    /// The failures of a full disk.
    public var outOfSpace: [Failure] = []

    /// Whether no node failed.
    public var isEmpty: Bool { failures.isEmpty && outOfSpace.isEmpty }

    /// The failures among `outcomes`, in the order of `plan`'s graph.
    public init(plan: Plan, outcomes: [NodeID: NodeOutcome]) {
        let functionsByNode = Dictionary(grouping: plan.functions, by: \.nodeID)
        for node in plan.graph.nodes {
            guard case .failed(let error) = outcomes[node.id] else { continue }
            let affected = plan.graph.nodes.filter { $0.id == node.id || $0.needs.contains(node.id) }
                .flatMap { functionsByNode[$0.id] ?? [] }.map { "\($0.name) (\($0.architecture.rawValue))" }
            let failure = Failure(node: node.id, error: error, functions: Array(Set(affected)).sorted())
            if error.ranOutOfSpace {
                outOfSpace.append(failure)
            } else {
                failures.append(failure)
            }
        }
    }
}
