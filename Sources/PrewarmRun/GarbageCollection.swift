import Foundation
import PrewarmImage
import PrewarmJournal
import PrewarmPlan
import PrewarmSupport

/// What `prewarm gc` removes from an engine, through what `ImageEngine` offers, for any engine:
/// - stand-ins (``removeStandIns()``): every name of a stand-in base or of an image built on one;
/// - a template's leftovers (``removeTemplateImages(of:)``): the images its builds made that nothing needs
///   any more (``EngineCleanup``), for an engine that lists images by label;
/// - unneeded content (``removeUnneededContent(olderThan:)``): what the engine keeps of its own that no
///   named image needs (the OCI store's blobs).
///
/// With `dryRun`, each says what it would remove and removes nothing.
package struct GarbageCollection: Sendable {
    /// The engine cleaned.
    package let engine: any ImageEngine
    /// List what would be removed, remove nothing.
    package var dryRun: Bool
    /// Whether this opened the engine (from a selection), and so closes it in ``close()``.
    private let opened: Bool

    /// Cleans `engine`, which its caller opened and closes.
    package init(engine: any ImageEngine, dryRun: Bool = false) {
        self.init(engine: engine, dryRun: dryRun, opened: false)
    }

    private init(engine: any ImageEngine, dryRun: Bool, opened: Bool) {
        self.engine = engine
        self.dryRun = dryRun
        self.opened = opened
    }

    /// Cleans the engine of `selection`, opened for maintenance (``EngineSelection/open(environment:)``).
    ///
    /// - Throws: `EngineError` when the engine named does not answer, or the store cannot be opened.
    package init(
        _ selection: EngineSelection, environment: [String: String] = ProcessInfo.processInfo.environment,
        dryRun: Bool = false
    ) async throws {
        let engine = try await selection.open(environment: environment)
        self.init(engine: engine, dryRun: dryRun, opened: selection.provided == nil)
    }

    /// Closes the engine when this opened it (``ImageEngine/close()``); call it when done.
    package func close() {
        if opened { engine.close() }
    }

    /// Where the engine is, for the last line of a clean: the OCI store's directory, else the engine's
    /// description.
    package var place: String { engine.storageDirectory ?? engine.description }

    /// Removes every name of a stand-in base or of an image built on one (``ImageEngine/namesOfStandIns()``):
    /// their content goes with ``removeUnneededContent(olderThan:)``, or, in a Docker engine, with the last name.
    ///
    /// - Returns: the names removed (with `dryRun`, that would be), sorted.
    /// - Throws: `EngineError` when the engine cannot be asked, or refuses to remove a name.
    package func removeStandIns() async throws -> [String] {
        let names = try await engine.namesOfStandIns()
        if !dryRun {
            for name in names { try await engine.remove(name) }
        }
        return names
    }

    /// One image of a template's leftovers, and whether the engine removed it.
    package struct ImageRemoval: Sendable {
        /// The image, and why it goes.
        package var removal: EngineCleanup.Removal
        /// Why the engine kept it (a container still uses it); `nil` when it was removed (or, with `dryRun`,
        /// would be).
        package var refusal: (any Error & Sendable)?
    }

    /// Removes the images that builds of `plan`'s template made and that nothing needs any more
    /// (``EngineCleanup``): those no name holds, and those whose names neither the plan nor the template's
    /// latest builds (as its journal, `journalPath` or the default beside the template, records them) give.
    ///
    /// - Returns: every such image, oldest first, each with the engine's refusal when it kept it.
    /// - Throws: `EngineError` when the engine cannot list its images, `JournalError` when the journal
    ///   cannot be read.
    package func removeTemplateImages(of plan: Plan, journalPath: String? = nil) async throws -> [ImageRemoval] {
        let templatePath = URL(fileURLWithPath: plan.template).standardizedFileURL.path
        let images = try await engine.images(labeled: ImageLabels.template)
        // What the latest builds made stays, --for-sam's (named after the derived template) included.
        var keep = Set(plan.functions.map(\.image))
        let journal = BuildConfiguration.journalPath(journalPath, forTemplate: templatePath)
        if FileManager.default.fileExists(atPath: journal) {
            keep.formUnion(
                try await EngineCleanup.namesOfLatestBuilds(in: Journal(path: journal), templatePath: templatePath))
        }
        var results: [ImageRemoval] = []
        for removal in EngineCleanup(templatePath: templatePath, plannedNames: keep).removals(among: images) {
            var result = ImageRemoval(removal: removal, refusal: nil)
            if !dryRun {
                do {
                    try await engine.removeImage(id: removal.image.id)
                } catch let error as any PrewarmError {
                    result.refusal = error
                }
            }
            results.append(result)
        }
        return results
    }

    /// What ``removeUnneededContent(olderThan:)`` would remove now (``ImageEngine/unneededContent(olderThan:)``).
    ///
    /// - Returns: `nil` when the engine keeps no content of its own apart from its images.
    /// - Throws: `EngineError` when the engine's storage cannot be read.
    package func unneededContent(olderThan gracePeriod: TimeInterval) async throws -> [StoredContent]? {
        try await engine.unneededContent(olderThan: gracePeriod)
    }

    /// Removes the content no named image needs, but what was written in the last `gracePeriod` seconds
    /// (``ImageEngine/removeUnneededContent(olderThan:)``).
    ///
    /// - Returns: `nil` when the engine keeps no such content; else what was removed.
    /// - Throws: `EngineError` when the engine's storage cannot be read or changed.
    package func removeUnneededContent(olderThan gracePeriod: TimeInterval) async throws -> ContentRemoval? {
        try await engine.removeUnneededContent(olderThan: gracePeriod)
    }
}
