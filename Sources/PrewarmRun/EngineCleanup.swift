import Foundation
import PrewarmImage
import PrewarmJournal
import PrewarmPlan

/// What `prewarm gc --engine docker` removes from a Docker engine: images that builds of one
/// template made (they carry prewarm's `dev.prewarm.template` label with its path) and that
/// nothing needs any more.
///
/// - dangling: no name holds the image any more, because a later build of the same name (by
///   prewarm, or SAM CLI re-tagging the name) replaced it;
/// - superseded: the template's plan no longer gives any of its names (a function or layer
///   renamed or removed).
///
/// Images of other templates, images without prewarm's labels (SAM CLI's own, bases, images
/// built by prewarm before it recorded the template), every name the current plan gives, and every name
/// the latest build and the latest `--for-sam` build of the template gave (``namesOfLatestBuilds(in:templatePath:)``:
/// a `--for-sam` build names images after its derived template, which `sam local --config-file` uses) are
/// never touched.
package struct EngineCleanup: Sendable {
    /// One image to remove, and why.
    package struct Removal: Sendable, Hashable {
        package enum Reason: String, Sendable, Hashable {
            /// No name holds it.
            case dangling
            /// Its names are ones this template's plan no longer gives.
            case superseded
        }
        package var image: DockerEngine.ImageSummary
        package var reason: Reason
    }

    /// The template's absolute path, as builds record it.
    package var templatePath: String
    /// Every image name the template's plan gives.
    package var plannedNames: Set<String>

    package init(templatePath: String, plannedNames: Set<String>) {
        self.templatePath = templatePath
        self.plannedNames = plannedNames
    }

    package init(plan: Plan, templatePath: String) {
        self.init(templatePath: templatePath, plannedNames: Set(plan.functions.map(\.image)))
    }

    /// The removals among `images` (as `ImageEngine.images(labeled: ImageLabels.template)` lists
    /// them), oldest first.
    package func removals(among images: [DockerEngine.ImageSummary]) -> [Removal] {
        var removals: [Removal] = []
        for image in images where image.labels[ImageLabels.template] == templatePath {
            if image.isDangling {
                removals.append(Removal(image: image, reason: .dangling))
            } else if image.names.allSatisfy({ !plannedNames.contains($0) }) {
                removals.append(Removal(image: image, reason: .superseded))
            }
        }
        return removals.sorted { ($0.image.created, $0.image.id) < ($1.image.created, $1.image.id) }
    }

    /// The image names that the newest run of the template at `templatePath`, and its newest `--for-sam`
    /// run, gave (built, or found up to date), as the journal recorded them.
    ///
    /// - Throws: `JournalError` when the journal cannot be read.
    package static func namesOfLatestBuilds(in journal: Journal, templatePath: String) async throws -> Set<String> {
        var latest: [Bool: RunID] = [:]
        for run in try await journal.runs() where run.templatePath == templatePath {
            let forSAM = RecordedRunOptions(json: run.optionsJSON)?.forSAM ?? false
            if latest[forSAM] == nil { latest[forSAM] = run.id }
        }
        var names: Set<String> = []
        for id in latest.values {
            for node in try await journal.run(id)?.nodes ?? [] where node.kind == .image {
                if let name = node.output?.name { names.insert(name) }
            }
        }
        return names
    }
}
