import Foundation
import PrewarmJournal
import PrewarmPlan
import PrewarmSupport

/// One `prewarm build`: runs a plan's graph with the scheduler and records the run and every
/// node in the journal as it goes.
///
/// Journal writes happen in order on one writer task that is not cancelled with the run, so
/// that an interrupted run still records what finished and what was interrupted. Image nodes
/// are claimed in the journal before they are built, so that two processes sharing the
/// journal never build the same image at the same time: the second waits for the first and
/// then finds the image up to date.
package struct BuildRun: Sendable {
    package var plan: Plan
    /// The template's path, as the journal identifies runs of one template.
    package var templatePath: String
    /// The options of the run, as JSON, recorded in the journal.
    package var optionsJSON: String
    package var prewarmVersion: String
    package var scheduler: Scheduler
    /// How often a node waits for another process's claim to go.
    package var claimPollInterval: Duration = .milliseconds(500)
    /// How the journal's records spell the settings a failure mentions (`BuildConfiguration.spellSetting`).
    package var spellSetting: @Sendable (Setting) -> String = { $0.mention }

    package init(plan: Plan, templatePath: String, optionsJSON: String, prewarmVersion: String, scheduler: Scheduler) {
        self.plan = plan
        self.templatePath = templatePath
        self.optionsJSON = optionsJSON
        self.prewarmVersion = prewarmVersion
        self.scheduler = scheduler
    }

    /// What a run ended with (``RunReport``).
    package typealias Report = RunReport

    /// Runs the graph. Cancelling the calling task interrupts the run (see `Scheduler`).
    ///
    /// - Throws: `JournalError` when the run cannot be recorded at its start.
    package func run(
        executor: some NodeExecutor, journal: Journal, events: @escaping @Sendable (SchedulerEvent) -> Void = { _ in }
    ) async throws -> Report {
        let record = try await journal.beginRun(
            templatePath: templatePath, optionsJSON: optionsJSON, prewarmVersion: prewarmVersion)
        let runID = record.id
        try await journal.addNodes(plan.graph.nodes.map(Self.plannedNode), to: runID)

        let (stream, continuation) = AsyncStream.makeStream(of: SchedulerEvent.self)
        // Not a child task: it must outlive a cancelled run to record how the run ended.
        let writer = Task<[Message], Never> { [spellSetting] in
            var problems: [Message] = []
            for await event in stream {
                do {
                    switch event {
                    case .started(let node, _):
                        try await journal.startNode(node.id, in: runID)
                    case .finished(let node, let outcome, _):
                        try await journal.finishNode(
                            node.id, in: runID,
                            result: Self.journalResult(outcome, of: node) { $0.rendered(settings: spellSetting) })
                    case .retrying:
                        break
                    }
                } catch {
                    problems.append(Message(describing: error))
                }
            }
            return problems
        }

        let claiming = ClaimingExecutor(
            inner: executor, journal: journal, runID: runID, pollInterval: claimPollInterval)
        let summary = await scheduler.run(plan.graph, executor: claiming) { event in
            continuation.yield(event)
            events(event)
        }
        continuation.finish()
        var problems = await writer.value
        let outcome: RunOutcome =
            summary.cancelled ? .interrupted : summary.failed + summary.skipped > 0 ? .failed : .succeeded
        do {
            try await journal.finishRun(runID, outcome: outcome)
        } catch {
            problems.append(Message(describing: error))
        }
        return Report(runID: runID, summary: summary, plan: plan, journalProblems: problems)
    }

    static func plannedNode(_ node: BuildGraph.Node) -> PlannedNode {
        let kind: NodeKind
        let key: String
        switch node.payload {
        case .layer:
            kind = .layer
            key = node.id.rawValue
        case .base:
            kind = .base
            key = node.id.rawValue
        case .image(let image):
            kind = .image
            key = image.contentKey
        }
        return PlannedNode(id: node.id, kind: kind, contentKey: key)
    }

    /// The journal's record of `outcome` of `node`: an artifact is recorded by its digest (a layer's
    /// content digest, an image ID) and, for an image, its name; a layer's directory is not recorded. A
    /// failure, or the reason a node was skipped, is recorded as text, written by `spell`: the journal
    /// outlives the error, and `status` shows the text as it was said.
    static func journalResult(
        _ outcome: NodeOutcome, of node: BuildGraph.Node, spell: (Message) -> String
    ) -> NodeResult {
        var name: String?
        if case .image(let image) = node.payload { name = image.name }
        switch outcome {
        case .succeeded(.built(let artifact)): return .succeeded(NodeOutput(digest: artifact.digest, name: name))
        case .succeeded(.upToDate(let artifact)):
            return .skipped(reused: NodeOutput(digest: artifact.digest, name: name), reason: "up to date")
        case .failed(let error): return .failed(message: spell(Message(describing: error)))
        case .skipped(let reason): return .skipped(reused: nil, reason: spell(reason))
        case .interrupted: return .interrupted
        }
    }
}

/// Claims an image's content key in the journal before building it; waits while another
/// live run holds it.
struct ClaimingExecutor<Inner: NodeExecutor>: NodeExecutor {
    let inner: Inner
    let journal: Journal
    let runID: RunID
    let pollInterval: Duration

    func isTransient(_ error: any Error) -> Bool {
        inner.isTransient(error)
    }

    func execute(_ node: BuildGraph.Node, inputs: [NodeID: WorkResult], attempt: Int) async throws -> WorkResult {
        guard case .image(let image) = node.payload else {
            return try await inner.execute(node, inputs: inputs, attempt: attempt)
        }
        while case .held = try await journal.claim(contentKey: image.contentKey, for: runID) {
            try await Task.sleep(for: pollInterval)
        }
        do {
            return try await inner.execute(node, inputs: inputs, attempt: attempt)
        } catch {
            _ = try? await journal.releaseClaim(contentKey: image.contentKey, for: runID)
            throw error
        }
    }
}
