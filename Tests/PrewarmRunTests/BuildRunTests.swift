import Foundation
import PrewarmJournal
import PrewarmPlan
import PrewarmRun
import PrewarmSupport
import PrewarmTemplate
import PrewarmTestKit
import Testing

/// BuildRun with a real journal file; the work itself is an in-process stand-in for an engine
/// that keeps built images in a shared set (the engine tests exercise real engines).
@Suite struct BuildRunTests {
    actor Store {
        var images: Set<String> = []
        var builds: [String: Int] = [:]

        func has(_ name: String) -> Bool { images.contains(name) }

        func build(_ name: String) {
            builds[name, default: 0] += 1
            images.insert(name)
        }
    }

    struct StoreExecutor: NodeExecutor {
        let store: Store
        var delay: Duration = .milliseconds(30)

        func execute(_ node: BuildGraph.Node, inputs: [NodeID: WorkResult], attempt: Int) async throws -> WorkResult {
            guard case .image(let image) = node.payload else { return .upToDate(.base(imageID: node.id.rawValue)) }
            if await store.has(image.name) { return .upToDate(.image(imageID: image.name)) }
            try await Task.sleep(for: delay)
            await store.build(image.name)
            return .built(.image(imageID: image.name))
        }
    }

    func plan(in directory: TemporaryDirectory, functions: Int) async throws -> Plan {
        var yaml = "Resources:\n"
        for index in 0..<functions {
            let runtime = ["python3.12", "python3.13", "nodejs20.x", "java21", "ruby3.3"][index % 5]
            let arch = index % 2 == 0 ? "x86_64" : "arm64"
            yaml += "  Fn\(index):\n    Type: AWS::Serverless::Function\n"
            yaml += "    Properties: {Runtime: \(runtime), Handler: a.b, Architectures: [\(arch)]}\n"
        }
        let path = try directory.write("template.yaml", yaml)
        return try Planner().plan(try await TemplateLoader().load(path))
    }

    func buildRun(_ plan: Plan) -> BuildRun {
        var run = BuildRun(
            plan: plan, templatePath: plan.template, optionsJSON: "{}", prewarmVersion: "test",
            scheduler: Scheduler(options: SchedulerOptions(jobs: 4, downloadJobs: 4)))
        run.claimPollInterval = .milliseconds(20)
        return run
    }

    @Test func runAndNodesAreRecorded() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plan = try await plan(in: directory, functions: 10)
        let journal = try await Journal(path: directory.path + "/journal.sqlite")
        let store = Store()
        let report = try await buildRun(plan).run(executor: StoreExecutor(store: store), journal: journal)
        #expect(report.summary.built == 10)
        #expect(report.journalProblems.isEmpty)
        let detail = try #require(try await journal.run(report.runID))
        #expect(detail.run.outcome == .succeeded)
        #expect(detail.nodes.count == plan.graph.nodes.count)
        #expect(detail.nodes.filter { $0.kind == .image }.allSatisfy { $0.state == .succeeded && $0.attempts == 1 })

        // A second run finds everything done.
        let again = try await buildRun(plan).run(executor: StoreExecutor(store: store), journal: journal)
        #expect(again.summary.built == 0)
        #expect(again.summary.upToDate == plan.graph.nodes.count)
    }

    @Test func twoRunsOnOneJournalNeverBuildAnImageTwice() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plan = try await plan(in: directory, functions: 10)
        let store = Store()
        let first = try await Journal(path: directory.path + "/journal.sqlite")
        let second = try await Journal(path: directory.path + "/journal.sqlite")
        async let a = buildRun(plan).run(executor: StoreExecutor(store: store), journal: first)
        async let b = buildRun(plan).run(executor: StoreExecutor(store: store), journal: second)
        let (reportA, reportB) = try await (a, b)
        let builds = await store.builds
        #expect(builds.count == 10)
        #expect(builds.values.allSatisfy { $0 == 1 }, "\(builds)")
        #expect(reportA.summary.built + reportB.summary.built == 10)
        #expect(reportA.summary.failed == 0 && reportB.summary.failed == 0)
        #expect(try await first.claims().isEmpty)
    }

    @Test func anInterruptedRunRecordsWhatFinishedAndWhatDidNot() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let plan = try await plan(in: directory, functions: 10)
        let journal = try await Journal(path: directory.path + "/journal.sqlite")
        let store = Store()
        var run = buildRun(plan)
        run.scheduler = Scheduler(options: SchedulerOptions(jobs: 1, downloadJobs: 1))
        let started = Locked(0)
        let task = Task {
            try await run.run(executor: StoreExecutor(store: store, delay: .milliseconds(100)), journal: journal) {
                event in
                if case .finished(let node, .succeeded(.built), _) = event, node.kind == .image {
                    started.mutate { $0 += 1 }
                }
            }
        }
        while started.value == 0 { try await Task.sleep(for: .milliseconds(10)) }
        task.cancel()
        let report = try await task.value
        #expect(report.summary.cancelled)
        let detail = try #require(try await journal.run(report.runID))
        #expect(detail.run.outcome == .interrupted)
        let states = Dictionary(grouping: detail.nodes, by: \.state).mapValues(\.count)
        #expect(states[.succeeded, default: 0] >= 1)
        #expect(states[.interrupted, default: 0] >= 1)
        #expect(states[.pending, default: 0] == 0 && states[.running, default: 0] == 0, "\(states)")
        #expect(try await journal.latestUnfinishedRun(templatePath: plan.template)?.id == report.runID)
    }
}

@Suite struct StaleRapidImageTests {
    @Test(arguments: [
        ("public.ecr.aws/lambda/python:3.9-rapid-1.60.0-x86_64", true), ("myimg:rapid-1.60.0", true),
        ("myimg:rapid-1.60.0-arm64", true), ("public.ecr.aws/lambda/python:3.12-rapid-x86_64", false),
        ("myimg:rapid-arm64", false), ("myimg:v1", false), ("myimg:notrapid-1", false),
        ("samcli/lambda-python:3.12-x86_64-abc", false),
    ])
    func onlyOlderRapidTagsAreStale(_ name: String, _ stale: Bool) {
        #expect(EngineExecutor.isStaleRapidTag(name) == stale)
    }
}
