import Foundation
import PrewarmSupport

// The capabilities of `ImageEngine` the OCI store has: its images are files on this machine, and its blobs
// are collected by `prewarm gc`.
extension OCIStore {
    /// The names ``standInNames()`` lists (OCIStore+StandIns.swift).
    public func namesOfStandIns() async throws -> [String] {
        try await blocking { [self] in try standInNames() }
    }

    public var storageDirectory: String? { path }

    public var standInCleanup: String { "`prewarm gc --stand-ins --oci-store \(path)`" }

    /// The blobs no named image needs, older than `gracePeriod` seconds, and the leftovers of killed writes
    /// (see `garbage(gracePeriod:)`).
    public func unneededContent(olderThan gracePeriod: TimeInterval) async throws -> [StoredContent]? {
        let (blobs, leftovers) = try await blocking { [self] in try garbage(gracePeriod: gracePeriod) }
        return blobs.map { StoredContent(kind: .blob, name: $0.digest, bytes: $0.bytes) }
            + leftovers.map { StoredContent(kind: .leftover, name: $0.path, bytes: $0.bytes) }
    }

    /// Removes them (see `garbageCollect(gracePeriod:)`).
    public func removeUnneededContent(olderThan gracePeriod: TimeInterval) async throws -> ContentRemoval? {
        let (removed, freed) = try await blocking { [self] in try garbageCollect(gracePeriod: gracePeriod) }
        return ContentRemoval(removed: removed, freedBytes: freed)
    }
}
