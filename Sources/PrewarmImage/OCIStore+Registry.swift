import Foundation
import PrewarmOCI
import PrewarmSupport

/// The store as the registry client sees it: downloads land in the store object's write area under
/// `.tmp/`, on the same file system as `blobs/`, and a verified one is renamed into place.
extension OCIStore: RegistryBlobStore {
    public func blobPath(digest: String) async throws -> String? {
        try await blocking { [self] in isIntact(digest) ? try blobPath(digest) : nil }
    }

    public func temporaryBlobPath() async throws -> String {
        try await blocking { [self] in try temporaryFilePath() }
    }

    public func ingestVerifiedBlob(from temporaryPath: String, digest: String) async throws {
        try await blocking { [self] in try ingestDownloadedBlob(from: temporaryPath, digest: digest) }
    }

    /// Syncs the verified download at `temporaryPath` and renames it to blob `digest` (or removes it when
    /// the store has that blob intact already).
    ///
    /// - Throws: `ImageError` with code `.io` when it cannot be renamed.
    func ingestDownloadedBlob(from temporaryPath: String, digest: String) throws {
        let target = try blobPath(digest)
        if isIntact(digest) {
            try? FileManager.default.removeItem(atPath: temporaryPath)
            return
        }
        let size = Self.fileSize(temporaryPath) ?? 0
        let descriptor = open(temporaryPath, O_RDONLY)
        if descriptor >= 0 {
            fsync(descriptor)
            closeDescriptor(descriptor)
        }
        guard rename(temporaryPath, target) == 0 else {
            let reason = systemErrorMessage()
            try? FileManager.default.removeItem(atPath: temporaryPath)
            throw ImageError(.io, "cannot move a downloaded blob to \(target): \(reason)")
        }
        recordVerified(String(digest.dropFirst("sha256:".count)), file: target)
        countWritten(Int(size), toBlob: true)
    }
}
