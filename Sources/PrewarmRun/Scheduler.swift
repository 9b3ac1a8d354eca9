import PrewarmHTTP
import PrewarmPlan
import PrewarmSupport

/// Limits and policies of a run.
package struct SchedulerOptions: Sendable {
    /// Image builds at once (`--jobs`); default: the number of cores.
    package var jobs: Int
    /// Layer downloads and base-image fetches at once (`--download-jobs`).
    package var downloadJobs: Int
    /// When a node whose work failed transiently is done again: `retries + 1` attempts, waiting
    /// `retryDelay`, then twice as long each time (the last quarter of each wait random), at most 30 s
    /// (or `retryDelay` when it is longer).
    package var retry: RetryPolicy
    /// Stop everything at the first failure (`--fail-fast`) instead of building what does not
    /// depend on it.
    package var failFast: Bool

    /// How many times a node that failed transiently is done again (`--retries`); 0 never.
    package var retries: Int {
        get { retry.maxAttempts - 1 }
        set { retry.maxAttempts = max(0, newValue) + 1 }
    }

    /// The wait before the first retry of a node, before jitter.
    package var retryDelay: Duration {
        get { retry.initialDelay }
        set { retry.initialDelay = newValue }
    }

    package init(
        jobs: Int, downloadJobs: Int, retries: Int = 2, retryDelay: Duration = .seconds(1), failFast: Bool = false
    ) {
        self.jobs = max(1, jobs)
        self.downloadJobs = max(1, downloadJobs)
        self.retry = RetryPolicy(
            maxAttempts: max(0, retries) + 1, initialDelay: retryDelay, maxDelay: max(retryDelay, .seconds(30)),
            multiplier: 2, jitter: 0.25)
        self.failFast = failFast
    }
}

/// What a node made, by kind: what the nodes that need it build on.
public enum NodeArtifact: Sendable, Hashable {
    /// A Lambda layer's files: the directory that holds them (what goes under `/opt`) and the
    /// digest of its content (`ContentDigest.directory`).
    case layer(directory: String, digest: String)
    /// A base image the engine holds, by image ID (`sha256:…`).
    case base(imageID: String)
    /// An image `sam local` looks for, by image ID (`sha256:…`).
    case image(imageID: String)

    /// The digest that identifies the artifact: a layer's content digest, or an image ID. This
    /// is what the journal records and what build keys hash.
    public var digest: String {
        switch self {
        case .layer(_, let digest): digest
        case .base(let imageID), .image(let imageID): imageID
        }
    }
}

/// What doing one node produced.
public enum WorkResult: Sendable, Equatable {
    /// The work was done now, and made `artifact`.
    case built(NodeArtifact)
    /// Nothing had to be done: `artifact` already exists and is current.
    case upToDate(NodeArtifact)

    /// What the node made or found.
    public var artifact: NodeArtifact {
        switch self {
        case .built(let artifact), .upToDate(let artifact): artifact
        }
    }
}

/// The work behind each kind of node: fetch a layer, make a base image available, build an image.
package protocol NodeExecutor: Sendable {
    /// Does `node`, whose needs are all done (their results are in `inputs`, by node ID).
    ///
    /// - Throws: any error; one that ``isTransient(_:)`` accepts is retried with backoff (the node
    ///   is done again, from the start), every other one fails the node at once.
    func execute(_ node: BuildGraph.Node, inputs: [NodeID: WorkResult], attempt: Int) async throws -> WorkResult

    /// Whether `error` is worth doing the node again for. The default: what the error says as a
    /// `TransientError` (PrewarmSupport), e.g. an `EngineError` of an engine's lost connection or 5xx answer,
    /// or an `HTTPError` of one; `false` for every other error.
    func isTransient(_ error: any Error) -> Bool
}

extension NodeExecutor {
    package func isTransient(_ error: any Error) -> Bool {
        error.isWorthRetrying
    }
}

/// How a node ended.
public enum NodeOutcome: Sendable {
    case succeeded(WorkResult)
    /// The node's work threw `error` (after the retries a transient error is worth). The error is kept as
    /// it was thrown, as swift-service-lifecycle's `ChildTaskResult` keeps it, for the edge to render and to
    /// ask (`ranOutOfSpace`, its code); the journal records its line (``BuildRun``).
    case failed(any Error & Sendable)
    /// Not started because a node it needs failed (or `failFast` stopped the run).
    case skipped(reason: Message)
    /// Started or waiting when the run was cancelled (Ctrl-C, SIGTERM).
    case interrupted
}

/// What happens during a run, for reporters and the journal. `started` and `retrying` come
/// from the task doing the node; `finished` comes from the scheduler, one node at a time.
/// Handlers must therefore be safe to call from several tasks.
public enum SchedulerEvent: Sendable {
    /// Attempt `attempt` (from 1) of the node begins.
    case started(BuildGraph.Node, attempt: Int)
    /// Attempt `attempt` failed with the transient `error` (kept as thrown, for the edge to render);
    /// attempt `attempt + 1` starts after `delay`.
    case retrying(BuildGraph.Node, attempt: Int, error: any Error & Sendable, delay: Duration)
    case finished(BuildGraph.Node, NodeOutcome, duration: Duration)
}

/// The end of a run: every node's outcome.
public struct RunSummary: Sendable {
    public var outcomes: [NodeID: NodeOutcome]
    public var cancelled: Bool

    public func count(where predicate: (NodeOutcome) -> Bool) -> Int {
        outcomes.values.filter(predicate).count
    }

    public var failed: Int { count { if case .failed = $0 { true } else { false } } }
    public var built: Int { count { if case .succeeded(.built) = $0 { true } else { false } } }
    public var upToDate: Int { count { if case .succeeded(.upToDate) = $0 { true } else { false } } }
    public var skipped: Int { count { if case .skipped = $0 { true } else { false } } }
    public var interrupted: Int { count { if case .interrupted = $0 { true } else { false } } }
}

/// Runs a `BuildGraph` with structured concurrency: a node starts as soon as everything it
/// needs is done, under per-kind limits (image builds under `jobs`, layers and bases under
/// `downloadJobs`). One task group, no detached tasks, nothing that blocks a thread.
///
/// A failed node fails the nodes that need it (they are skipped) and nothing else, unless
/// `failFast`. Cancelling the calling task stops starting new work, cancels what runs, and
/// reports every unfinished node as interrupted.
package struct Scheduler: Sendable {
    package var options: SchedulerOptions

    package init(options: SchedulerOptions) {
        self.options = options
    }

    package func run(
        _ graph: BuildGraph, executor: some NodeExecutor,
        events: @escaping @Sendable (SchedulerEvent) -> Void = { _ in }
    ) async -> RunSummary {
        var state = RunState(graph: graph)
        let clock = ContinuousClock()

        await withTaskGroup(of: (NodeID, NodeOutcome, Duration).self) { group in
            var running = [BuildGraph.Kind: Int]()
            var stopping = false

            func limit(_ kind: BuildGraph.Kind) -> Int {
                kind == .image ? options.jobs : options.downloadJobs
            }

            func startReady() {
                guard !stopping, !Task.isCancelled else { return }
                // The oldest ready node of a kind under its limit, until none is: O(1) per node started.
                while let node = state.nextReady(where: { running[$0, default: 0] < limit($0) }) {
                    running[node.kind, default: 0] += 1
                    let id = node.id
                    let inputs = state.inputs(of: node)
                    let options = self.options
                    group.addTask {
                        let start = clock.now
                        let outcome = await Self.attempt(
                            node, inputs: inputs, executor: executor, options: options, events: events)
                        return (id, outcome, clock.now - start)
                    }
                }
            }

            for node in graph.nodes where node.needs.isEmpty { state.makeReady(node.id) }
            startReady()
            while let (id, outcome, duration) = await group.next() {
                guard let node = graph.node(id) else { continue }
                running[node.kind, default: 0] -= 1
                events(.finished(node, outcome, duration: duration))
                let skippedNow = state.finish(id, outcome)
                for skipped in skippedNow {
                    if let skippedNode = graph.node(skipped.id) {
                        events(.finished(skippedNode, skipped.outcome, duration: .zero))
                    }
                }
                if case .failed = outcome, options.failFast, !stopping {
                    stopping = true
                    group.cancelAll()
                }
                startReady()
            }
        }

        let cancelled = Task.isCancelled
        for node in graph.nodes where state.outcomes[node.id] == nil {
            let outcome: NodeOutcome =
                cancelled ? .interrupted : .skipped(reason: "\(Setting.failFast) stopped the run")
            state.outcomes[node.id] = outcome
            events(.finished(node, outcome, duration: .zero))
        }
        return RunSummary(outcomes: state.outcomes, cancelled: cancelled)
    }

    /// Runs one node under `options.retry`: a failure the executor calls transient does the node
    /// again (a `retrying` event, then a `started` one for the next attempt); any other failure, or
    /// the last attempt's, fails it. This is the only place where engine requests are retried; the
    /// HTTP clients of registries, Lambda and layer downloads retry their own requests and throw
    /// errors that are not transient (see `TransientError`), so no failure is retried at both layers.
    static func attempt(
        _ node: BuildGraph.Node, inputs: [NodeID: WorkResult], executor: some NodeExecutor, options: SchedulerOptions,
        events: @Sendable (SchedulerEvent) -> Void
    ) async -> NodeOutcome {
        do {
            let result = try await options.retry.run(
                retryingWhen: executor.isTransient,
                willRetry: { attempt, error, delay in
                    events(.retrying(node, attempt: attempt, error: error, delay: delay))
                }
            ) { attempt in
                if Task.isCancelled { throw CancellationError() }
                events(.started(node, attempt: attempt))
                return try await executor.execute(node, inputs: inputs, attempt: attempt)
            }
            return .succeeded(result)
        } catch is CancellationError {
            return .interrupted
        } catch {
            return Task.isCancelled ? .interrupted : .failed(error)
        }
    }
}

/// What the scheduler knows about the graph as it runs.
struct RunState {
    let graph: BuildGraph
    var outcomes: [NodeID: NodeOutcome] = [:]
    private var waitingOn: [NodeID: Int] = [:]
    private var dependents: [NodeID: [NodeID]] = [:]
    /// Ready nodes by kind, each queue in the order they became ready (a sequence number, so that
    /// nodes of different kinds start oldest first too), read from `heads`.
    private var ready: [BuildGraph.Kind: [(sequence: Int, node: BuildGraph.Node)]] = [:]
    private var heads: [BuildGraph.Kind: Int] = [:]
    private var sequence = 0

    init(graph: BuildGraph) {
        self.graph = graph
        for node in graph.nodes {
            waitingOn[node.id] = node.needs.count
            for need in node.needs { dependents[need, default: []].append(node.id) }
        }
    }

    mutating func makeReady(_ id: NodeID) {
        guard let node = graph.node(id) else { return }
        ready[node.kind, default: []].append((sequence, node))
        sequence += 1
    }

    /// Takes the oldest ready node, among the kinds `canStart` allows, that has no outcome yet.
    mutating func nextReady(where canStart: (BuildGraph.Kind) -> Bool) -> BuildGraph.Node? {
        while true {
            var best: (kind: BuildGraph.Kind, sequence: Int)?
            for (kind, queue) in ready where canStart(kind) {
                let head = heads[kind, default: 0]
                guard head < queue.count else { continue }
                if best.map({ queue[head].sequence < $0.sequence }) ?? true { best = (kind, queue[head].sequence) }
            }
            guard let best else { return nil }
            let head = heads[best.kind, default: 0]
            let node = ready[best.kind, default: []][head].node
            heads[best.kind] = head + 1
            if heads[best.kind, default: 0] > 1024,
                heads[best.kind, default: 0] * 2 > ready[best.kind, default: []].count
            {
                ready[best.kind, default: []].removeFirst(heads[best.kind, default: 0])
                heads[best.kind] = 0
            }
            if outcomes[node.id] == nil { return node }
        }
    }

    func inputs(of node: BuildGraph.Node) -> [NodeID: WorkResult] {
        var inputs: [NodeID: WorkResult] = [:]
        for need in node.needs {
            if case .succeeded(let result) = outcomes[need] { inputs[need] = result }
        }
        return inputs
    }

    /// Records `outcome`; makes dependents ready, or skips them (transitively) when it failed.
    /// Returns the nodes skipped because of it.
    mutating func finish(_ id: NodeID, _ outcome: NodeOutcome) -> [(id: NodeID, outcome: NodeOutcome)] {
        outcomes[id] = outcome
        guard case .succeeded = outcome else {
            guard case .interrupted = outcome else { return skipDependents(of: id) }
            return []
        }
        for dependent in dependents[id] ?? [] {
            waitingOn[dependent, default: 0] -= 1
            if waitingOn[dependent] == 0, outcomes[dependent] == nil { makeReady(dependent) }
        }
        return []
    }

    /// Marks every node that needs `id`, directly or not, skipped. (A ready node never needs a
    /// failed one, and `nextReady` passes over nodes that have an outcome.)
    private mutating func skipDependents(of id: NodeID) -> [(id: NodeID, outcome: NodeOutcome)] {
        var skipped: [(id: NodeID, outcome: NodeOutcome)] = []
        var pending = dependents[id] ?? []
        while let dependent = pending.popLast() {
            guard outcomes[dependent] == nil else { continue }
            let outcome = NodeOutcome.skipped(reason: "\(id) failed")
            outcomes[dependent] = outcome
            skipped.append((dependent, outcome))
            pending += dependents[dependent] ?? []
        }
        return skipped
    }
}
