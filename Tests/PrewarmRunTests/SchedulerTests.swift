import Foundation
import PrewarmPlan
import PrewarmRun
import PrewarmSupport
import Testing

/// The scheduler's own rules (order, limits, failures, retries, cancellation), with an
/// executor that does timed work in-process and records what it saw.
@Suite struct SchedulerTests {
    struct Transient: TransientError, CustomStringConvertible {
        var isTransient: Bool { true }
        var description: String { "connection reset" }
    }
    struct Permanent: Error, CustomStringConvertible {
        var description: String { "build failed in the engine" }
    }

    actor Recorder {
        var running: [BuildGraph.Kind: Int] = [:]
        var peak: [BuildGraph.Kind: Int] = [:]
        var finished: [NodeID] = []
        var attempts: [NodeID: Int] = [:]

        func begin(_ node: BuildGraph.Node) -> Int {
            running[node.kind, default: 0] += 1
            peak[node.kind] = max(peak[node.kind, default: 0], running[node.kind, default: 0])
            attempts[node.id, default: 0] += 1
            return attempts[node.id, default: 0]
        }

        func end(_ node: BuildGraph.Node) {
            running[node.kind, default: 0] -= 1
            finished.append(node.id)
        }
    }

    struct Workload: NodeExecutor {
        let recorder = Recorder()
        var failing: Set<NodeID> = []
        /// Node ID → how many attempts fail transiently before one succeeds.
        var flaky: [NodeID: Int] = [:]
        var delay: Duration = .milliseconds(20)

        func execute(_ node: BuildGraph.Node, inputs: [NodeID: WorkResult], attempt: Int) async throws -> WorkResult {
            let count = await recorder.begin(node)
            do {
                // Every need is done and handed over.
                precondition(Set(inputs.keys) == Set(node.needs), "ran \(node.id) before its needs")
                try await Task.sleep(for: delay)
                if failing.contains(node.id) { throw Permanent() }
                if count <= flaky[node.id, default: 0] { throw Transient() }
                await recorder.end(node)
                return .built(.image(imageID: "out-\(node.id)"))
            } catch {
                await recorder.end(node)
                throw error
            }
        }
    }

    /// `images` images, each needing one of `bases` bases and one of `layers` layers.
    func graph(images: Int, bases: Int = 2, layers: Int = 3) -> BuildGraph {
        var graph = BuildGraph()
        for base in 0..<bases {
            graph.insert(
                .init(
                    id: "base:\(base)", kind: .base, needs: [],
                    payload: .base(reference: "b\(base)", architecture: .x86_64)))
        }
        for layer in 0..<layers {
            graph.insert(
                .init(id: "layer:\(layer)", kind: .layer, needs: [], payload: .layer(.local(path: "/l\(layer)"))))
        }
        for image in 0..<images {
            let planned = PlannedImage(
                name: "i\(image)", baseImage: "b", architecture: .x86_64, layers: [], contentKey: "k\(image)")
            graph.insert(
                .init(
                    id: "image:\(image)", kind: .image, needs: ["base:\(image % bases)", "layer:\(image % layers)"],
                    payload: .image(planned)))
        }
        return graph
    }

    func options(jobs: Int = 3, downloads: Int = 2, retries: Int = 2, failFast: Bool = false) -> SchedulerOptions {
        SchedulerOptions(
            jobs: jobs, downloadJobs: downloads, retries: retries, retryDelay: .milliseconds(5), failFast: failFast)
    }

    @Test func everythingRunsOnceWithinTheLimits() async {
        let workload = Workload()
        let summary = await Scheduler(options: options(jobs: 3, downloads: 2)).run(
            graph(images: 12), executor: workload)
        #expect(summary.built == 17)
        #expect(summary.failed == 0)
        let finished = await workload.recorder.finished
        #expect(finished.count == 17)
        #expect(Set(finished).count == 17)
        let peak = await workload.recorder.peak
        #expect(peak[.image, default: 0] <= 3)
        #expect(peak[.image, default: 0] >= 2, "images should overlap")
        #expect(max(peak[.base, default: 0], peak[.layer, default: 0]) <= 2)
    }

    @Test func aFailureSkipsOnlyWhatNeedsIt() async {
        var workload = Workload()
        workload.failing = ["layer:0"]
        var skipped: [NodeID] = []
        let summary = await Scheduler(options: options()).run(graph(images: 9), executor: workload)
        for (id, outcome) in summary.outcomes {
            if case .skipped(let reason) = outcome {
                skipped.append(id)
                #expect(reason == "layer:0 failed")
            }
        }
        // Images 0, 3, 6 need layer:0.
        #expect(Set(skipped) == ["image:0", "image:3", "image:6"])
        #expect(summary.failed == 1)
        #expect(summary.built == 10)  // 14 nodes: 1 failed, 3 skipped
    }

    @Test func failFastStopsStartingWork() async {
        var workload = Workload()
        workload.failing = ["base:0"]
        let summary = await Scheduler(options: options(jobs: 1, downloads: 1, failFast: true))
            .run(graph(images: 6), executor: workload)
        #expect(summary.failed == 1)
        #expect(summary.built < 5)
        #expect(summary.outcomes.count == 11)
    }

    @Test func transientFailuresAreRetriedAndPermanentOnesAreNot() async {
        var workload = Workload()
        workload.flaky = ["layer:1": 2, "layer:2": 5]
        workload.failing = ["base:1"]
        let lock = Locked<[String]>([])
        let summary = await Scheduler(options: options(retries: 2)).run(graph(images: 3), executor: workload) { event in
            if case .retrying(let node, _, let error, _) = event { lock.mutate { $0.append("\(node.id) \(error)") } }
        }
        let retries = lock.value
        let attempts = await workload.recorder.attempts
        #expect(attempts["layer:1"] == 3)  // two transient failures, then success
        #expect(attempts["layer:2"] == 3)  // gave up after 2 retries
        #expect(attempts["base:1"] == 1)  // permanent: no retry
        #expect(retries.filter { $0.hasPrefix("layer:1") }.count == 2)
        if case .failed(let error) = summary.outcomes["layer:2"] {
            #expect("\(error)" == "connection reset")
        } else {
            Issue.record("layer:2 should have failed")
        }
        if case .succeeded = summary.outcomes["layer:1"] {} else { Issue.record("layer:1 should have succeeded") }
    }

    @Test func cancellationInterruptsWhatIsLeft() async {
        var workload = Workload()
        workload.delay = .milliseconds(100)
        let scheduler = Scheduler(options: options(jobs: 1, downloads: 1))
        let recorder = workload.recorder
        let task = Task { await scheduler.run(graph(images: 6), executor: workload) }
        // Cancel once some work has finished, however loaded the machine is.
        while await recorder.finished.isEmpty { try? await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        let summary = await task.value
        #expect(summary.cancelled)
        #expect(summary.interrupted > 0)
        #expect(summary.built >= 1)
        #expect(summary.built + summary.interrupted == 11)
    }
}

/// A value shared by event handlers running on several tasks.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()

    init(_ value: Value) { stored = value }

    var value: Value { lock.withLock { stored } }

    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&stored) } }
}
