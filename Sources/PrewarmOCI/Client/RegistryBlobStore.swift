/// Where a ``RegistryClient`` reads the blobs it pushes and writes the blobs it pulls: an OCI image layout's
/// `blobs/sha256/<hex>`, or anything that keeps content by digest as files.
///
/// The client never writes into the store directly: it downloads into a path the store gives it, checks the
/// digest and size, and only then hands the file over with ``ingestVerifiedBlob(from:digest:)``. A store
/// therefore never holds a blob whose content does not match its name.
public protocol RegistryBlobStore: Sendable {
    /// The path of the file that holds the blob `digest` (`sha256:<hex>`), for reading.
    ///
    /// - Returns: `nil` when the store does not have that blob.
    /// - Throws: when the store cannot be asked.
    func blobPath(digest: String) async throws -> String?

    /// A new path, where nothing exists yet, on the same file system as the blobs (so that a rename moves
    /// it in), for the client to download one blob into. The client removes it if the download fails.
    ///
    /// - Throws: when no such path can be made (the store's temporary directory cannot be created).
    func temporaryBlobPath() async throws -> String

    /// Takes the file at `temporaryPath`, whose content the client has checked has digest `digest`, as that
    /// blob: moves it into place atomically (a rename), or removes it if the store has the blob already.
    ///
    /// - Throws: when the file cannot be moved; the file is then removed, and the store is as it was.
    func ingestVerifiedBlob(from temporaryPath: String, digest: String) async throws
}
