import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport

// Integrity: a blob is trusted by what it hashes to, not by its file name. Each blob the store
// hashed (when it wrote it, or read it back) gets a verified-at record in
// `.prewarm-verified.log`: its inode, size, modification and change time then. While `stat`
// still says the same, the blob is the one hashed; when anything differs (a flipped byte, a
// truncation, a copy over it all change the change time, which no one can set back), it is
// hashed again before anything trusts it.
extension OCIStore {
    /// Whether blob `digest` is in the store with the content its name says (and, when given,
    /// `size` bytes): read and hashed only when it changed since it was last verified.
    ///
    /// Another process may rename its own copy of the blob into place at any time (two builds writing
    /// one shared layer at once): a file replaced while it was hashed is not damage, so the file now
    /// there is looked at again, and content that hashed to its name is intact whichever copy it was.
    ///
    /// - Returns: `false` when it is missing, of another size, or damaged.
    public func isIntact(_ digest: String, size: Int64? = nil) -> Bool {
        guard let file = try? blobPath(digest) else { return false }
        let hex = String(digest.dropFirst("sha256:".count))
        for _ in 0..<Self.replacedBlobLooks {
            guard let key = Self.fileKey(file) else { return false }
            if let size, key.size != UInt64(size) { return false }
            switch verifiedState(hex, key) {
            case .intact: return true
            case .damaged: return false
            case .unknown: break
            }
            let actual = try? ContentDigest.file(file)
            let replaced = Self.fileKey(file) != key
            if actual == digest {
                // The key recorded must be that of the file hashed: not known when it was replaced.
                if !replaced { recordVerified(hex, key) }
                return true
            }
            if replaced { continue }
            state.withLock { $0.damagedBlobs[hex] = key }
            return false
        }
        return false
    }

    /// How many times ``isIntact(_:size:)`` looks at a blob that other writers keep replacing.
    private static let replacedBlobLooks = 8

    private enum VerifiedState { case intact, damaged, unknown }

    private func verifiedState(_ hex: String, _ key: FileKey) -> VerifiedState {
        let known = state.withLock { state -> VerifiedState in
            if state.verifiedBlobs[hex] == key { return .intact }
            if state.damagedBlobs[hex] == key { return .damaged }
            return .unknown
        }
        guard known == .unknown else { return known }
        // Another process may have verified it since this one last read the records.
        readVerifiedRecords()
        return state.withLock { $0.verifiedBlobs[hex] == key ? .intact : .unknown }
    }

    /// Records that blob `hex` hashed to its name while `stat` said `key` (and that the file at
    /// `file`, just renamed into place after it was hashed, is that blob).
    func recordVerified(_ hex: String, file: String) {
        if let key = Self.fileKey(file) { recordVerified(hex, key) }
    }

    private func recordVerified(_ hex: String, _ key: FileKey) {
        state.withLock {
            $0.verifiedBlobs[hex] = key
            $0.damagedBlobs[hex] = nil
        }
        // A lost record only costs a hash later, so it is appended without a sync.
        let line = Data("\(hex) \(key.inode) \(key.size) \(key.modified) \(key.changed)\n".utf8)
        let descriptor = open(verifiedLogPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return }
        defer { closeDescriptor(descriptor) }
        // Not counted in `bytesWritten`: a record is a cache of a hash, not content.
        _ = try? AtomicFile.writeAll(descriptor, line, path: verifiedLogPath)
    }

    /// Reads the records other processes appended since this one last read them.
    private func readVerifiedRecords() {
        guard let key = Self.fileKey(verifiedLogPath) else { return }
        let (inode, offset) = state.withLock { ($0.verifiedLogInode, $0.verifiedLogOffset) }
        let start: UInt64 = inode == key.inode && offset <= key.size ? offset : 0
        guard start < key.size, let handle = FileHandle(forReadingAtPath: verifiedLogPath) else { return }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: start)) != nil, let data = try? handle.readToEnd(),
            let end = data.lastIndex(of: UInt8(ascii: "\n"))
        else { return }
        var records: [(String, FileKey)] = []
        for line in data[data.startIndex...end].split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
            guard fields.count == 5, fields[0].utf8.count == 64, let inode = UInt64(fields[1]),
                let size = UInt64(fields[2]), let modified = Int64(fields[3]), let changed = Int64(fields[4])
            else { continue }
            records.append((fields[0], FileKey(inode: inode, size: size, modified: modified, changed: changed)))
        }
        state.withLock { state in
            for (hex, key) in records { state.verifiedBlobs[hex] = key }
            state.verifiedLogInode = key.inode
            state.verifiedLogOffset = start + UInt64(end - data.startIndex + 1)
        }
    }

    /// Rewrites the records to hold exactly `records` (after `verify` hashed every blob).
    func replaceVerifiedRecords(_ records: [String: FileKey]) throws {
        var text = ""
        for (hex, key) in records.sorted(by: { $0.key < $1.key }) {
            text += "\(hex) \(key.inode) \(key.size) \(key.modified) \(key.changed)\n"
        }
        try writeAtomically(Data(text.utf8), to: verifiedLogPath)
        let key = Self.fileKey(verifiedLogPath)
        state.withLock {
            $0.verifiedBlobs = records
            $0.damagedBlobs = [:]
            $0.verifiedLogInode = key?.inode
            $0.verifiedLogOffset = key?.size ?? 0
        }
    }

    /// The first layer (or the configuration) of `image` that is missing or damaged, or `nil`.
    func damagedBlob(of image: StoredImage) -> OCIDescriptor? {
        image.manifest.layers.first { !isIntact($0.digest, size: $0.size) }
    }

    /// The image named `name`, but only when every blob it needs is intact: its manifest and
    /// configuration (hashed as they are read), every layer (see `isIntact`).
    ///
    /// - Returns: `nil` when no image has that name, or when one of its layers is missing or
    ///   damaged (a build makes it again, rewriting the layers it makes).
    /// - Throws: `ImageError` with code `.corrupt` when `index.json` is lost or damaged, or when
    ///   the image's manifest or configuration is missing or damaged: then the damaged blob and
    ///   the name are removed, so that the next build makes the image again.
    public func intactImage(named name: String, platform: OCIPlatform? = nil) throws -> StoredImage? {
        guard let entry = try descriptor(named: name) else { return nil }
        let image: StoredImage?
        do {
            image = try storedImage(entry, platform: platform, name: name)
        } catch let error as ImageError where error.code == .corrupt || error.code == .invalidDocument {
            try updateNames { table in
                table.entry(named: name) == entry ? [NameChange(name: name, entry: nil)] : []
            }
            throw ImageError(
                .corrupt, "\(error.message); the name \(name) was removed, so the next build makes the image again")
        }
        guard let image, damagedBlob(of: image) == nil else { return nil }
        return image
    }

    /// Throws unless every layer of the base `image` is intact.
    ///
    /// - Throws: `ImageError` with code `.corrupt`, saying which layer and what to do.
    func requireIntactLayers(_ image: StoredImage, of name: String) throws {
        guard let layer = damagedBlob(of: image) else { return }
        throw ImageError(
            .corrupt,
            "the local copy of base image \(name) in the OCI store at \(path) is damaged (its layer \(layer.digest) is "
                + "missing or does not hash to its name); bring it back with `prewarm import FILE` (a `docker save` or "
                + "OCI layout tar of it) or a pull")
    }
}
