import Foundation
import PrewarmImage
import PrewarmOCI
import PrewarmSupport

extension BuildSession.Planned {
    /// After a build in the OCI store: pushes to `push` and loads into Docker (`load`) the images that
    /// succeeded, recording it in `report`.
    ///
    /// - Throws: `BuildSessionError` with code `.publish` (the images are built and stay in the store).
    func publish(
        from store: OCIStore, setup: EngineSetup, into report: inout BuildReport,
        events: @Sendable (BuildEvent) -> Void
    ) async throws {
        guard !report.images.isEmpty else { return }
        do {
            if let push = configuration.push, let registry = setup.registry {
                let publisher = ImagePublisher(store: store, client: registry, repository: try ImageReference(push))
                for pushed in try await publisher.publish(plan, outcomes: report.summary.outcomes) {
                    report.pushed.append(pushed)
                    events(.pushed(pushed))
                }
            }
            if configuration.load, let docker = setup.loadTarget {
                let scratch = try ScratchDirectory()
                defer { scratch.remove() }
                let archive = scratch.path + "/load.tar"
                if templateSuppliesImages {
                    var bases: [EngineImage] = []
                    for name in report.images {
                        if let image = try await store.image(named: name) { bases.append(image) }
                    }
                    if suppliesStandIns(bases: bases) {
                        events(.note(standInNote(names: report.images)))
                    }
                }
                try await store.run { [images = report.images] in
                    try $0.export(names: images, format: .docker, to: archive)
                }
                try await docker.load(archivePath: archive)
                report.loadedInto = docker.description
                events(.loaded(count: report.images.count, engine: docker.description))
            }
        } catch let error as any PrewarmError {
            let setting = Setting(mentionedIn: error.text)
            throw BuildSessionError(
                .publish, error.line, remedy: setting.map(BuildSessionError.Remedy.change), cause: error)
        }
    }
}
