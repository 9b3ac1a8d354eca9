import Foundation
import PrewarmImage
import PrewarmJournal
import PrewarmPlan
import PrewarmRun
import PrewarmSupport

/// `prewarm build --metadata-file FILE` (as `docker buildx bake --metadata-file`): one JSON document about
/// the build, written atomically when it ends (also when nodes failed or it was interrupted): the run, with
/// its number and timings, and per function its image name, the image's ID (and, in the OCI store, its
/// manifest digest), architecture, engine and outcome.
struct BuildMetadata: Encodable {
    struct Function: Encodable {
        var name: String
        var architecture: String
        var image: String
        /// built, up-to-date, failed, skipped, interrupted; `error` for a function that could not be planned.
        var outcome: String
        /// The image ID in a Docker engine; the configuration digest in the OCI store.
        var imageID: String?
        /// In the OCI store: the image manifest's digest.
        var manifestDigest: String?
        /// How long the image's node took in this run, in seconds.
        var seconds: Double?
        var error: String?
    }
    struct Run: Encodable {
        var id: Int64
        var outcome: String
        var startedAt: String
        var endedAt: String?
        var seconds: Double?
    }

    var schemaVersion = JSONSchema.version
    var template: String
    var engine: String
    var run: Run?
    var functions: [Function]

    /// The document for `report`, with the run's times from `journal` (when it can be read).
    init(_ report: BuildReport, journal: Journal?) async {
        template = URL(fileURLWithPath: report.plan.template).standardizedFileURL.path
        engine = report.engine
        let detail = try? await journal?.run(report.runID)
        run = detail.map { detail in
            Run(
                id: detail.run.id.rawValue, outcome: detail.run.outcome.rawValue,
                startedAt: TimeText.timestamp(detail.run.startedAt),
                endedAt: detail.run.endedAt.map(TimeText.timestamp),
                seconds: detail.run.endedAt.map { $0.timeIntervalSince(detail.run.startedAt) })
        }
        let durations = Dictionary(
            (detail?.nodes ?? []).compactMap { node in node.duration.map { (node.nodeID, $0.seconds) } },
            uniquingKeysWith: { first, _ in first })
        let store = report.ociStore.flatMap { try? OCIStore(path: $0) }
        defer { store?.close() }
        functions = report.functions.map { result in
            let function = result.function
            let outcome = result.outcome
            let words = outcome.map(OutcomeWord.of)
            var imageID: String?
            if case .succeeded(let result) = outcome { imageID = result.artifact.digest }
            let manifest = imageID == nil ? nil : (try? store?.descriptor(named: function.image))?.digest
            return Function(
                name: function.name, architecture: function.architecture.rawValue, image: function.image,
                outcome: words?.word ?? "interrupted", imageID: imageID, manifestDigest: manifest,
                seconds: durations[function.nodeID], error: words?.error)
        }
        functions += report.plan.errors.map { failure in
            Function(
                name: failure.name, architecture: failure.architecture?.rawValue ?? "", image: "", outcome: "error",
                error: SettingFlags.render(failure.text))
        }
    }

    /// Writes the document to `path` atomically (a temporary file renamed into place).
    ///
    /// - Throws: `CommandFailure` (exit 2) when the file cannot be written.
    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            let data = try encoder.encode(self)
            try AtomicFile.write(data + Data("\n".utf8), to: path)
        } catch {
            throw CommandFailure(
                message: "--metadata-file \(path): cannot write it: \(describeSystemError(error))",
                exitCode: .unusableInput)
        }
    }
}
