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
        try await blocking { [self] in try writeArea.temporaryFilePath() }
    }

    public func ingestVerifiedBlob(from temporaryPath: String, digest: String) async throws {
        try await blocking { [self] in try blobs.moveIn(downloaded: temporaryPath, digest: digest) }
    }
}
