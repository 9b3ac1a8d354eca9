import PrewarmImage
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
/// built by prewarm before it recorded the template), and every name the current plan gives are
/// never touched.
public struct EngineCleanup: Sendable {
    /// One image to remove, and why.
    public struct Removal: Sendable, Hashable {
        public enum Reason: String, Sendable, Hashable {
            /// No name holds it.
            case dangling
            /// Its names are ones this template's plan no longer gives.
            case superseded
        }
        public var image: DockerEngine.ImageSummary
        public var reason: Reason
    }

    /// The template's absolute path, as builds record it.
    public var templatePath: String
    /// Every image name the template's plan gives.
    public var plannedNames: Set<String>

    public init(templatePath: String, plannedNames: Set<String>) {
        self.templatePath = templatePath
        self.plannedNames = plannedNames
    }

    public init(plan: Plan, templatePath: String) {
        self.init(templatePath: templatePath, plannedNames: Set(plan.functions.map(\.image)))
    }

    /// The removals among `images` (as `DockerEngine.images(labeled: ImageLabels.template)` lists
    /// them), oldest first.
    public func removals(among images: [DockerEngine.ImageSummary]) -> [Removal] {
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
}
