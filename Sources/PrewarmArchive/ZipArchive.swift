import Foundation
import PrewarmSupport

/// One entry of a zip archive's central directory, as the archive describes it (nothing checked yet).
struct ZipEntry: Sendable {
    /// What an entry makes on disk.
    enum Kind: Sendable, Equatable {
        case file, directory, symlink
        /// A device, fifo or socket: never extracted.
        case special
    }

    var nameBytes: [UInt8]
    /// The name for messages: the bytes as UTF-8, with invalid sequences replaced, and a name longer than
    /// 120 characters shortened to its start and end (`node_modules/a/…/index.js`).
    var displayName: String
    /// Whether the entry's external attributes carry a unix mode (made on unix or macOS).
    var madeOnUnix: Bool
    var flags: UInt16
    var method: UInt16
    var crc32: UInt32
    var compressedSize: UInt64
    var uncompressedSize: UInt64
    var externalAttributes: UInt32
    var localHeaderOffset: UInt64

    /// The unix mode from the external attributes, type bits included; 0 when there is none.
    var unixMode: UInt32 {
        madeOnUnix ? externalAttributes >> 16 : 0
    }

    var kind: Kind {
        let type = unixMode & 0o170000
        if type == 0o120000 { return .symlink }
        if type == 0o040000 || nameBytes.last == UInt8(ascii: "/") { return .directory }
        if type == 0 || type == 0o100000 { return .file }
        return .special
    }

    /// Whether the archive encrypts the entry (flag bit 0).
    var isEncrypted: Bool { flags & 1 != 0 }

    /// `name` when it has at most 120 characters, else its first 60 and last 40 around a `…`, so that a
    /// message naming a long entry stays one short line.
    static func shortened(_ name: String) -> String {
        guard name.utf8.count > 120, name.count > 120 else { return name }
        return String(name.prefix(60)) + "…" + String(name.suffix(40))
    }
}

/// Reads a zip file with `pread`: the end of central directory record (zip64 too), the central directory,
/// and each entry's local header. Holds the central directory in memory, never the entries' data.
final class ZipFileReader {
    let descriptor: Int32
    let size: UInt64
    /// How messages name the archive: `layer zip <label>`.
    let label: String

    /// The largest central directory read into memory.
    static let maxCentralDirectorySize: UInt64 = 128 * 1024 * 1024
    /// The most entries an archive may have (Lambda allows 250 MB unzipped; real layers have far fewer).
    static let maxEntries: UInt64 = 500_000

    init(path: String, label: String) throws {
        self.label = label
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ArchiveError(.io, "layer zip \(label): cannot open \(path): \(systemErrorMessage())")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = systemErrorMessage()
            close(descriptor)
            throw ArchiveError(.io, "layer zip \(label): cannot read \(path): \(reason)")
        }
        size = UInt64(status.st_size)
    }

    deinit {
        close(descriptor)
    }

    /// An error for an archive that is not a readable zip file.
    func corrupt(_ detail: String) -> ArchiveError {
        ArchiveError(.invalidArchive, "layer zip \(label): \(detail); the archive is damaged or not a zip file")
    }

    /// Exactly `count` bytes from `offset`.
    func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard offset <= size, UInt64(count) <= size - offset else {
            throw corrupt("a record at byte \(offset) runs past the end of the file (\(size) bytes)")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while done < count {
                let got = pread(
                    descriptor, buffer.baseAddress.map { $0 + done }, count - done, off_t(offset) + off_t(done))
                if got < 0, errno == EINTR { continue }
                guard got > 0 else {
                    throw ArchiveError(.io, "layer zip \(label): cannot read: \(systemErrorMessage())")
                }
                done += got
            }
        }
        return bytes
    }

    /// Every entry of the central directory, in its order.
    package func entries() throws -> [ZipEntry] {
        let directory = try locateCentralDirectory()
        guard directory.size <= Self.maxCentralDirectorySize else {
            throw ArchiveError(
                .layerTooLarge,
                "layer zip \(label): its central directory has \(directory.size) bytes, more than the "
                    + "\(Self.maxCentralDirectorySize) allowed; the archive is rejected")
        }
        guard directory.count <= Self.maxEntries else {
            throw ArchiveError(
                .layerTooLarge,
                "layer zip \(label): it has \(directory.count) entries, more than the \(Self.maxEntries) allowed; "
                    + "the archive is rejected")
        }
        let bytes = try read(at: directory.offset, count: Int(directory.size))
        var entries: [ZipEntry] = []
        entries.reserveCapacity(Int(directory.count))
        var position = 0
        for _ in 0..<directory.count {
            guard position + 46 <= bytes.count, bytes.le32(position) == 0x0201_4b50 else {
                throw corrupt("central directory entry \(entries.count + 1) is malformed")
            }
            let nameLength = Int(bytes.le16(position + 28))
            let extraLength = Int(bytes.le16(position + 30))
            let commentLength = Int(bytes.le16(position + 32))
            let end = position + 46 + nameLength + extraLength + commentLength
            guard end <= bytes.count else { throw corrupt("central directory entry \(entries.count + 1) is cut off") }
            let nameBytes = Array(bytes[(position + 46)..<(position + 46 + nameLength)])
            var entry = ZipEntry(
                nameBytes: nameBytes,
                displayName: ZipEntry.shortened(String(decoding: nameBytes, as: UTF8.self)),
                madeOnUnix: [3, 19].contains(bytes[position + 5]),
                flags: bytes.le16(position + 8),
                method: bytes.le16(position + 10),
                crc32: bytes.le32(position + 16),
                compressedSize: UInt64(bytes.le32(position + 20)),
                uncompressedSize: UInt64(bytes.le32(position + 24)),
                externalAttributes: bytes.le32(position + 38),
                localHeaderOffset: UInt64(bytes.le32(position + 42)))
            let extra = Array(bytes[(position + 46 + nameLength)..<(position + 46 + nameLength + extraLength)])
            try applyZip64(extra, to: &entry)
            entries.append(entry)
            position = end
        }
        return entries
    }

    /// Where an entry's data starts, after checking that its local header is one and names the same entry.
    func dataOffset(of entry: ZipEntry) throws -> UInt64 {
        let header = try read(at: entry.localHeaderOffset, count: 30)
        guard header.le32(0) == 0x0403_4b50 else {
            throw corrupt("entry '\(entry.displayName)' has no local header at byte \(entry.localHeaderOffset)")
        }
        let nameLength = Int(header.le16(26))
        let extraLength = UInt64(header.le16(28))
        let localName = try read(at: entry.localHeaderOffset + 30, count: nameLength)
        guard localName == entry.nameBytes else {
            throw ArchiveError(
                .invalidPath,
                "layer zip \(label): entry '\(entry.displayName)' is named '\(String(decoding: localName, as: UTF8.self))' "
                    + "in its local header; the archive is rejected")
        }
        let start = entry.localHeaderOffset + 30 + UInt64(nameLength) + extraLength
        guard start <= size, entry.compressedSize <= size - start else {
            throw corrupt("entry '\(entry.displayName)' runs past the end of the file")
        }
        return start
    }

    // MARK: - End of central directory

    private struct CentralDirectory {
        var offset: UInt64
        var size: UInt64
        var count: UInt64
    }

    private func locateCentralDirectory() throws -> CentralDirectory {
        guard size >= 22 else { throw corrupt("the file has only \(size) bytes") }
        let tailLength = Int(min(size, 22 + 65_535))
        let tailStart = size - UInt64(tailLength)
        let tail = try read(at: tailStart, count: tailLength)
        var position = tailLength - 22
        while position >= 0, tail.le32(position) != 0x0605_4b50 { position -= 1 }
        guard position >= 0 else { throw corrupt("no end of central directory record") }
        let disk = tail.le16(position + 4)
        let directoryDisk = tail.le16(position + 6)
        var result = CentralDirectory(
            offset: UInt64(tail.le32(position + 16)), size: UInt64(tail.le32(position + 12)),
            count: UInt64(tail.le16(position + 10)))
        let needsZip64 = result.count == 0xFFFF || result.size == 0xFFFF_FFFF || result.offset == 0xFFFF_FFFF
        if needsZip64 {
            let locatorOffset = tailStart + UInt64(position)
            guard locatorOffset >= 20 else { throw corrupt("no zip64 end of central directory locator") }
            let locator = try read(at: locatorOffset - 20, count: 20)
            guard locator.le32(0) == 0x0706_4b50 else { throw corrupt("no zip64 end of central directory locator") }
            let record = try read(at: locator.le64(8), count: 56)
            guard record.le32(0) == 0x0606_4b50 else { throw corrupt("no zip64 end of central directory record") }
            result = CentralDirectory(offset: record.le64(48), size: record.le64(40), count: record.le64(32))
        } else if disk != 0 || directoryDisk != 0 {
            throw ArchiveError(.unsupported, "layer zip \(label): a multi-part archive is not supported; join it first")
        }
        guard result.offset <= size, result.size <= size - result.offset else {
            throw corrupt("the central directory runs past the end of the file")
        }
        return result
    }

    /// Reads the zip64 extended information (extra field 0x0001) into the fields that overflowed.
    private func applyZip64(_ extra: [UInt8], to entry: inout ZipEntry) throws {
        var position = 0
        while position + 4 <= extra.count {
            let id = extra.le16(position)
            let length = Int(extra.le16(position + 2))
            let body = position + 4
            guard body + length <= extra.count else { break }
            if id == 0x0001 {
                var field = body
                func next() throws -> UInt64 {
                    guard field + 8 <= body + length else {
                        throw corrupt("entry '\(entry.displayName)' has a short zip64 extra field")
                    }
                    defer { field += 8 }
                    return extra.le64(field)
                }
                if entry.uncompressedSize == 0xFFFF_FFFF { entry.uncompressedSize = try next() }
                if entry.compressedSize == 0xFFFF_FFFF { entry.compressedSize = try next() }
                if entry.localHeaderOffset == 0xFFFF_FFFF { entry.localHeaderOffset = try next() }
            }
            position = body + length
        }
    }
}

extension [UInt8] {
    fileprivate func le16(_ at: Int) -> UInt16 {
        UInt16(self[at]) | UInt16(self[at + 1]) << 8
    }

    fileprivate func le32(_ at: Int) -> UInt32 {
        UInt32(self[at]) | UInt32(self[at + 1]) << 8 | UInt32(self[at + 2]) << 16 | UInt32(self[at + 3]) << 24
    }

    fileprivate func le64(_ at: Int) -> UInt64 {
        UInt64(le32(at)) | UInt64(le32(at + 4)) << 32
    }
}
