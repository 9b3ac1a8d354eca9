import Foundation
import PrewarmHTTP
import PrewarmImage
import PrewarmPlan
import PrewarmRun
import PrewarmSupport
import Testing

/// What the scheduler retries with the default `NodeExecutor.isTransient`: what the errors say of
/// themselves (`TransientError`), under `SchedulerOptions.retry`.
@Suite struct SchedulerRetryTests {
    /// Fails each node's first attempts with the error given for it.
    struct Failing: NodeExecutor {
        let errors: [NodeID: any Error & Sendable]
        let failures: Int
        let attempts = Locked<[NodeID: Int]>([:])

        func execute(_ node: BuildGraph.Node, inputs: [NodeID: WorkResult], attempt: Int) async throws -> WorkResult {
            attempts.mutate { $0[node.id, default: 0] += 1 }
            if attempt <= failures, let error = errors[node.id] { throw error }
            return .built(.layer(directory: "/\(node.id)", digest: "out-\(node.id)"))
        }
    }

    struct Plain: Error {}

    func graph(_ ids: [NodeID]) -> BuildGraph {
        var graph = BuildGraph()
        for id in ids {
            graph.insert(.init(id: id, kind: .layer, needs: [], payload: .layer(.local(path: "/\(id)"))))
        }
        return graph
    }

    @Test func transientErrorsAreRetriedAndOthersAreNot() async {
        let executor = Failing(
            errors: [
                "layer:lost": EngineError(.engineUnavailable, "the engine went away", transient: true),
                "layer:refused": EngineError(.buildFailed, "the engine failed the build"),
                "layer:plain": Plain(),
            ], failures: 1)
        let retries = Locked<[String]>([])
        let options = SchedulerOptions(jobs: 2, downloadJobs: 3, retries: 2, retryDelay: .milliseconds(5))
        let summary = await Scheduler(options: options).run(
            graph(["layer:lost", "layer:refused", "layer:plain"]), executor: executor
        ) { event in
            if case .retrying(let node, let attempt, let error, let delay) = event {
                retries.mutate { $0.append("\(node.id) \(attempt) \(error) \(delay > .zero)") }
            }
        }
        #expect(executor.attempts.value == ["layer:lost": 2, "layer:refused": 1, "layer:plain": 1])
        #expect(retries.value == ["layer:lost 1 the engine went away true"])
        if case .succeeded = summary.outcomes["layer:lost"] {} else { Issue.record("layer:lost should succeed") }
        #expect(summary.failed == 2)
    }

    @Test func retriesAreAttemptsOfTheOnePolicy() {
        var options = SchedulerOptions(jobs: 1, downloadJobs: 1, retries: 3, retryDelay: .seconds(1))
        #expect(options.retry.maxAttempts == 4)
        #expect(options.retry.initialDelay == .seconds(1))
        #expect(options.retry.delay(beforeRetry: 1, random: 1) == .seconds(1))
        #expect(options.retry.delay(beforeRetry: 2, random: 1) == .seconds(2))
        #expect(options.retry.delay(beforeRetry: 2, random: 0) == .milliseconds(1500), "a quarter is jitter")
        #expect(options.retry.delay(beforeRetry: 9, random: 1) == .seconds(30), "at most 30 s")
        options.retries = 0
        #expect(options.retry.maxAttempts == 1)
        #expect(SchedulerOptions(jobs: 1, downloadJobs: 1, retries: -1).retries == 0)
    }
}
