import Foundation
import PrewarmImage
import PrewarmPlan
import PrewarmRun
import PrewarmTemplate

// Builds a template's images for x86_64 and arm64 into an OCI store with the scheduler and
// the OCI engine, as `prewarm build --engine oci` will, and prints one line of figures.
//
//   oci-build-benchmark TEMPLATE RIE_DIR STORE [BASE_ARCHIVE...] [--jobs N]
//
// Each BASE_ARCHIVE (a `docker save` tar) is imported first, untimed.
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3 else {
    FileHandle.standardError.write(
        Data("usage: oci-build-benchmark TEMPLATE RIE_DIR STORE [BASE_ARCHIVE...] [--jobs N]\n".utf8))
    exit(64)
}
let (template, rieDirectory, storePath) = (arguments[0], arguments[1], arguments[2])
var jobs = ProcessInfo.processInfo.activeProcessorCount
var archives: [String] = []
var rest = arguments.dropFirst(3)
while let argument = rest.popFirst() {
    if argument == "--jobs", let value = rest.popFirst().flatMap({ Int($0) }) {
        jobs = value
    } else {
        archives.append(argument)
    }
}

do {
    let store = try OCIStore(path: storePath)
    for archive in archives { _ = try store.importArchive(path: archive) }
    let plan = try Planner(options: PlanOptions(architectures: [.x86_64, .arm64]))
        .plan(try await TemplateLoader().load(template))
    let work = FileManager.default.temporaryDirectory.appendingPathComponent("oci-bench-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: work) }
    let executor = EngineExecutor(
        engine: store, emulators: EmulatorLocator(directory: rieDirectory),
        options: BuildOptions(pull: false, forceRebuild: false, workDirectory: work, prewarmVersion: "benchmark"))
    let imageTimes = ImageTimes()
    let clock = ContinuousClock()
    let began = clock.now
    let summary = await Scheduler(options: SchedulerOptions(jobs: jobs, downloadJobs: 4)).run(
        plan.graph, executor: executor
    ) { event in
        if case .finished(let node, let outcome, _) = event, node.kind == .image {
            imageTimes.record(clock.now, outcome: "\(outcome)")
        }
    }
    let total = clock.now - began
    let failed = summary.outcomes.values.filter { if case .failed = $0 { true } else { false } }
    let finished = imageTimes.times
    let firstImage = finished.first.map { $0 - began } ?? .zero
    var afterFirst = Duration.zero
    if let first = finished.first, let last = finished.last, finished.count > 1 {
        afterFirst = (last - first) / (finished.count - 1)
    }
    func ms(_ duration: Duration) -> String {
        String(
            format: "%.1f", Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15)
    }
    print(
        "images \(finished.count) (failed nodes \(failed.count)); total \(ms(total)) ms; first image at "
            + "\(ms(firstImage)) ms; per image after the first \(ms(afterFirst)) ms; "
            + "bytes written \(store.bytesWritten) (blobs \(store.blobBytesWritten))")
    for outcome in failed.prefix(3) { print("failed: \(outcome)") }
    exit(failed.isEmpty ? 0 : 1)
} catch {
    FileHandle.standardError.write(Data("oci-build-benchmark: \(error)\n".utf8))
    exit(1)
}

/// When each image node finished, in order.
final class ImageTimes: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [ContinuousClock.Instant] = []

    func record(_ instant: ContinuousClock.Instant, outcome: String) {
        lock.lock()
        values.append(instant)
        lock.unlock()
    }

    var times: [ContinuousClock.Instant] {
        lock.lock()
        defer { lock.unlock() }
        return values
    }
}
