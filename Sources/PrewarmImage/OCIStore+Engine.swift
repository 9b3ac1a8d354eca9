import Crypto
import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

// The `ImageEngine` conformance: lookups, bases and builds, run off the cooperative pool.
extension OCIStore: ImageEngine {
    public var description: String { "oci store at \(path)" }

    public func image(named name: String) async throws -> EngineImage? {
        try await blocking { [self] in
            guard let image = try intactImage(named: name) else { return nil }
            return try engineImage(image)
        }
    }

    /// Looks in the store first; when the base is not there, or damaged, asks `baseProvider` (a
    /// registry only with `pull`, a local layout either way).
    public func prepareBase(_ reference: String, platform: OCIPlatform, pull: Bool) async throws -> EngineImage {
        // A damaged base is provided again when a provider can; else the damage is the error.
        var damage: EngineError?
        do {
            if let found = try await blocking({ [self] in try baseImage(reference, platform: platform) }) {
                return found
            }
        } catch let error as EngineError where error.code == .corrupt && baseProvider != nil {
            damage = error
        }
        if let baseProvider {
            let provided: Bool
            do {
                provided = try await baseProvider.provide(reference, platform: platform, pull: pull, into: self)
            } catch let failure as any PrewarmError {
                // The damage is what to mend; why it could not be mended by a pull comes after.
                guard let damage else { throw failure }
                throw EngineError(.corrupt, "\(damage.text); a pull failed: \(failure.line)")
            }
            if provided, let found = try await blocking({ [self] in try baseImage(reference, platform: platform) }) {
                return found
            }
        }
        throw damage ?? missingBase(reference, platform: platform)
    }

    func baseImage(_ reference: String, platform: OCIPlatform) throws -> EngineImage? {
        guard let image = try storedImage(named: reference, platform: platform) else { return nil }
        try requireIntactLayers(image, of: reference)
        let found = try engineImage(image)
        guard found.architecture == platform.architecture else {
            throw EngineError(
                .missingBase,
                "base image \(reference) in the OCI store at \(path) is \(found.architecture), "
                    + "not \(platform.architecture) as \(platform) needs; "
                    + "import the \(platform.architecture) image")
        }
        return found
    }

    func missingBase(_ reference: String, platform: OCIPlatform) -> EngineError {
        EngineError(
            .missingBase,
            "base image \(reference) for \(platform) is not in the OCI store at \(path); import it with "
                + "`prewarm import FILE` (a `docker save` or OCI layout tar) or pull it")
    }

    public func build(_ request: ImageBuildRequest, output: @escaping @Sendable (String) -> Void) async throws
        -> EngineImage
    {
        try await blocking { [self] in try buildImage(request, output: output) }
    }

    public func remove(_ name: String) async throws {
        try await blocking { [self] in try removeName(name) }
    }

    /// Removes the name `name` from `index.json` (its blobs go at the next `garbageCollect()`).
    /// Does nothing when there is no such name.
    public func removeName(_ name: String) throws {
        try updateNames { table in table.entry(named: name) == nil ? [] : [NameChange(name: name, entry: nil)] }
    }

    public func names(inRepository repository: String) async throws -> [String] {
        try await blocking { [self] in
            try withNames { $0.names(inRepository: repository) }
        }
    }
}
