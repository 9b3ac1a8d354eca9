import CZlib
import Foundation
import PrewarmSupport

/// Extracts a layer's zip archive, refusing anything that could write outside the layer's directory.
///
/// Every entry is checked before it is written, and the archive is rejected (with an ``ArchiveError`` that
/// names the entry) when:
/// - its name is empty, absolute, has a `..` component, a backslash or a NUL, or is not UTF-8; or is longer
///   than ``maxPathBytes``, or has a component longer than ``maxComponentBytes`` (no file system could
///   hold it: these are refused before anything is written, not after thousands of directories);
/// - it would be written through a symlink the archive made earlier (each directory on the way is checked
///   with `lstat`, and files are created with `O_EXCL | O_NOFOLLOW`), or replace an earlier entry;
/// - it is a symlink whose target is absolute, climbs above the layer's root, or has a `..` after a name
///   (`a/../b`: the kernel would resolve `a` first, and `a` may be a link). Links that stay inside are kept;
/// - the bytes actually written (not what the headers claim) pass ``maxExpandedSize``, or an entry expands
///   past the size its header declares (both are checked while inflating, so a bomb stops at the limit);
/// - it is encrypted, a device or fifo, or uses a compression other than stored or deflate; or its CRC-32
///   or size does not match.
///
/// File modes come from the entries' unix attributes when the archive was made on unix (else 0644 and
/// 0755), without setuid, setgid and sticky bits. Directories also keep their mode, with the owner's
/// `rwx` added so that the cache can always be cleaned. Everything is written into a new temporary
/// directory, which is renamed to the destination only when the whole archive is out and removed on any
/// error; nothing is ever written outside it.
public struct ZipExtractor: Sendable {
    /// 1 GiB, the default of `--max-layer-size`.
    public static let defaultMaxExpandedSize: Int64 = 1 << 30

    /// The most bytes all entries together may expand to.
    public var maxExpandedSize: Int64

    /// The longest entry path accepted, in bytes (Linux's `PATH_MAX`).
    public static let maxPathBytes = 4096
    /// The longest name of one file or directory accepted, in bytes (Linux's `NAME_MAX`).
    public static let maxComponentBytes = 255

    public init(maxExpandedSize: Int64 = ZipExtractor.defaultMaxExpandedSize) {
        self.maxExpandedSize = maxExpandedSize
    }

    /// What an extraction produced.
    public struct Result: Sendable, Hashable {
        /// Files, directories and links written.
        public var entries: Int
        /// Bytes written: files and link targets, as counted against the limit.
        public var bytes: Int64
    }

    /// Extracts the zip file at `archive` into a new directory at `destination`.
    ///
    /// Works in a fresh directory `.zip-XXXXXX` under `workDirectory` (by default the destination's parent;
    /// it must be on the same file system), and renames it to `destination` once complete.
    ///
    /// - Parameter label: how messages name the archive (`layer zip <label>: …`); the archive's path if `nil`.
    /// - Throws: ``ArchiveError``: `.invalidPath` for an entry that would leave the directory, `.layerTooLarge`
    ///   past ``maxExpandedSize``, `.invalidArchive` for a damaged archive, `.unsupported` for one it cannot read, `.io` when the
    ///   destination exists or a file cannot be written. The temporary directory is gone after any error.
    @discardableResult
    public func extract(_ archive: String, to destination: String, label: String? = nil, workDirectory: String? = nil)
        throws -> Result
    {
        let label = label ?? archive
        let reader = try ZipFileReader(path: archive, label: label)
        let work = workDirectory ?? (destination as NSString).deletingLastPathComponent
        var template = Array((work + "/.zip-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else {
            throw ArchiveError(.io, "layer zip \(label): cannot create a directory in \(work): \(systemErrorMessage())")
        }
        let root = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do {
            let run = Extraction(reader: reader, root: root, limit: maxExpandedSize)
            let result = try run.extractAll()
            guard chmod(root, 0o755) == 0 else { throw run.ioError("cannot set the mode of \(root)") }
            var status = stat()
            if lstat(destination, &status) == 0 {
                throw ArchiveError(.io, "layer zip \(label): \(destination) already exists; remove it and retry")
            }
            guard rename(root, destination) == 0 else { throw run.ioError("cannot rename \(root) to \(destination)") }
            return result
        } catch {
            FileTree.remove(root)
            throw error
        }
    }
}

/// One extraction in progress: the reader, the temporary root, and the byte budget.
private final class Extraction {
    let reader: ZipFileReader
    let root: String
    let limit: Int64
    var written: Int64 = 0
    var count = 0
    /// Relative paths already made, so that a second entry for the same path is refused.
    var made: Set<String> = []
    /// Directory modes, applied at the end (a read-only directory would stop the files inside it).
    var directoryModes: [String: mode_t] = [:]
    /// Relative paths known to be real directories, with every directory above them: nothing but this
    /// extraction writes under `root`, and no entry can replace a directory (files are made with `O_EXCL`,
    /// links with `symlink`), so an entry whose parent is here needs no walk of `lstat`s down to it.
    var directories: Set<String> = []

    static let chunkSize = 256 * 1024

    init(reader: ZipFileReader, root: String, limit: Int64) {
        self.reader = reader
        self.root = root
        self.limit = limit
    }

    var label: String { reader.label }

    func rejected(_ entry: ZipEntry, _ reason: String, code: ArchiveError.Code = .invalidPath) -> ArchiveError {
        ArchiveError(
            code, "layer zip \(label): entry '\(quoted(entry.displayName))' \(reason); the archive is rejected")
    }

    func ioError(_ detail: String) -> ArchiveError {
        ArchiveError(.io, "layer zip \(label): \(detail): \(systemErrorMessage())")
    }

    func extractAll() throws -> ZipExtractor.Result {
        let entries = try reader.entries()
        let declared = entries.reduce(UInt64(0)) { total, entry in
            let (sum, overflow) = total.addingReportingOverflow(entry.uncompressedSize)
            return overflow ? UInt64.max : sum
        }
        if declared > UInt64(limit) {
            throw ArchiveError(
                .layerTooLarge,
                "layer zip \(label): its entries declare \(declared) bytes, more than the limit of \(limit) "
                    + "(\(ArchiveInput.maxExpandedSize)); the archive is rejected", limit: limit)
        }
        // Every name is checked before anything is written.
        var plans: [(ZipEntry, [String])] = []
        for entry in entries {
            plans.append((entry, try components(of: entry)))
        }
        for (entry, parts) in plans where !parts.isEmpty {
            try extract(entry, at: parts)
        }
        for (path, mode) in directoryModes.sorted(by: { $0.key.count > $1.key.count }) {
            guard chmod(root + "/" + path, mode) == 0 else {
                throw ioError("cannot set the mode of \(ZipEntry.shortened(path))")
            }
        }
        return ZipExtractor.Result(entries: count, bytes: written)
    }

    /// The entry's path as components, `.` and empty ones dropped; empty for the root itself (`./`).
    func components(of entry: ZipEntry) throws -> [String] {
        guard let name = String(validating: entry.nameBytes, as: UTF8.self) else {
            throw rejected(entry, "has a name that is not UTF-8")
        }
        guard !name.isEmpty else { throw rejected(entry, "has an empty name") }
        guard !entry.nameBytes.contains(0) else { throw rejected(entry, "has a NUL in its name") }
        guard !name.contains("\\") else { throw rejected(entry, "has a backslash in its name") }
        guard !name.hasPrefix("/") else { throw rejected(entry, "is an absolute path") }
        guard entry.nameBytes.count <= ZipExtractor.maxPathBytes else {
            throw rejected(
                entry,
                "has a path of \(entry.nameBytes.count) bytes, longer than the \(ZipExtractor.maxPathBytes) "
                    + "a path may have")
        }
        let parts = name.split(separator: "/").map(String.init).filter { $0 != "." }
        guard !parts.contains("..") else { throw rejected(entry, "escapes the layer directory") }
        if let long = parts.first(where: { $0.utf8.count > ZipExtractor.maxComponentBytes }) {
            throw rejected(
                entry,
                "has a name of \(long.utf8.count) bytes ('\(quoted(ZipEntry.shortened(long)))'), longer than the "
                    + "\(ZipExtractor.maxComponentBytes) a file name may have")
        }
        guard !entry.isEncrypted else { throw rejected(entry, "is encrypted", code: .unsupported) }
        guard entry.kind != .special else { throw rejected(entry, "is a device, fifo or socket") }
        guard entry.kind == .directory || [0, 8].contains(entry.method) else {
            throw rejected(
                entry, "uses compression method \(entry.method); re-create the zip with deflate", code: .unsupported)
        }
        return parts
    }

    func extract(_ entry: ZipEntry, at parts: [String]) throws {
        let relative = parts.joined(separator: "/")
        try makeParents(of: parts, for: entry)
        let path = root + "/" + relative
        switch entry.kind {
        case .directory:
            var status = stat()
            if lstat(path, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFDIR else { throw rejected(entry, "replaces an earlier entry") }
            } else {
                guard mkdir(path, 0o700) == 0 else { throw ioError("cannot create \(ZipEntry.shortened(relative))") }
                count += 1
            }
            directories.insert(relative)
            let mode = entry.unixMode & 0o777
            directoryModes[relative] = mode_t(mode == 0 ? 0o755 : mode | 0o700)
        case .file:
            guard made.insert(relative).inserted else { throw rejected(entry, "appears twice") }
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                if errno == EEXIST || errno == ELOOP { throw rejected(entry, "replaces an earlier entry") }
                throw ioError("cannot create \(ZipEntry.shortened(relative))")
            }
            var closed = false
            defer { if !closed { close(descriptor) } }
            try inflate(entry) { bytes in
                var offset = 0
                while offset < bytes.count {
                    let done = Foundation.write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                    if done < 0, errno == EINTR { continue }
                    guard done > 0 else { throw ioError("cannot write \(ZipEntry.shortened(relative))") }
                    offset += done
                }
            }
            let mode = entry.unixMode & 0o777
            guard fchmod(descriptor, mode_t(mode == 0 ? 0o644 : mode)) == 0 else {
                throw ioError("cannot set the mode of \(ZipEntry.shortened(relative))")
            }
            closed = true
            guard close(descriptor) == 0 else { throw ioError("cannot write \(ZipEntry.shortened(relative))") }
            count += 1
        case .symlink:
            guard made.insert(relative).inserted else { throw rejected(entry, "appears twice") }
            guard entry.uncompressedSize <= 4096 else { throw rejected(entry, "is a symlink with a target too long") }
            var target: [UInt8] = []
            try inflate(entry) { target.append(contentsOf: $0) }
            let text = try checkTarget(target, of: entry, depth: parts.count - 1)
            guard symlink(text, path) == 0 else {
                if errno == EEXIST { throw rejected(entry, "replaces an earlier entry") }
                throw ioError("cannot create the symlink \(ZipEntry.shortened(relative))")
            }
            count += 1
        case .special:
            throw rejected(entry, "is a device, fifo or socket")
        }
    }

    /// Creates the missing directories above an entry, refusing to go through anything but a directory.
    func makeParents(of parts: [String], for entry: ZipEntry) throws {
        let parent = parts.dropLast().joined(separator: "/")
        if parent.isEmpty || directories.contains(parent) { return }
        var path = root
        var relative = ""
        for part in parts.dropLast() {
            path += "/" + part
            relative += relative.isEmpty ? part : "/" + part
            var status = stat()
            if lstat(path, &status) == 0 {
                switch status.st_mode & S_IFMT {
                case S_IFDIR:
                    directories.insert(relative)
                    continue
                case S_IFLNK:
                    throw rejected(
                        entry, "would be written through the symlink '\(quoted(ZipEntry.shortened(relative)))'")
                default:
                    throw rejected(entry, "would be written inside the file '\(quoted(ZipEntry.shortened(relative)))'")
                }
            }
            guard mkdir(path, 0o700) == 0 else { throw ioError("cannot create \(ZipEntry.shortened(relative))") }
            directoryModes[relative] = 0o755
            directories.insert(relative)
            count += 1
        }
    }

    /// The link's target when it stays inside the layer: relative, with `..` only at its start and no more of
    /// them than the link's depth. (Every directory above the link is a real one, so leading `..` resolve
    /// exactly; what follows only descends, into directories or links held to the same rule.)
    func checkTarget(_ bytes: [UInt8], of entry: ZipEntry, depth: Int) throws -> String {
        guard let target = String(validating: bytes, as: UTF8.self), !target.isEmpty, !bytes.contains(0) else {
            throw rejected(entry, "is a symlink with an empty or malformed target")
        }
        let outside = "is a symlink to '\(quoted(target))', outside the layer directory"
        guard !target.hasPrefix("/") else { throw rejected(entry, outside) }
        let parts = target.split(separator: "/").filter { $0 != "." }
        let climbs = parts.prefix { $0 == ".." }.count
        guard !parts.dropFirst(climbs).contains("..") else {
            throw rejected(entry, "is a symlink to '\(quoted(target))', which has '..' after a name")
        }
        guard climbs <= depth else { throw rejected(entry, outside) }
        return target
    }

    /// Streams the entry's data, inflated, to `body` in pieces, counting every byte against the limits and
    /// checking the size and CRC-32 at the end.
    func inflate(_ entry: ZipEntry, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var offset = try reader.dataOffset(of: entry)
        var remaining = entry.compressedSize
        var produced: UInt64 = 0
        var crc = crc32(0, nil, 0)
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.chunkSize)
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.chunkSize)
        defer {
            input.deallocate()
            output.deallocate()
        }

        func emit(_ pointer: UnsafeMutablePointer<UInt8>, _ length: Int) throws {
            guard length > 0 else { return }
            written += Int64(length)
            produced += UInt64(length)
            if written > limit {
                throw ArchiveError(
                    .layerTooLarge,
                    "layer zip \(label): expands past the limit of \(limit) bytes (\(ArchiveInput.maxExpandedSize)) at entry "
                        + "'\(quoted(entry.displayName))'; the archive is rejected", limit: limit)
            }
            if produced > entry.uncompressedSize {
                throw rejected(
                    entry, "expands past the \(entry.uncompressedSize) bytes its header declares", code: .layerTooLarge)
            }
            crc = crc32(crc, pointer, uInt(length))
            try body(UnsafeRawBufferPointer(start: pointer, count: length))
        }

        func readInput() throws -> Int {
            let wanted = Int(min(UInt64(Self.chunkSize), remaining))
            while true {
                let got = pread(reader.descriptor, input, wanted, off_t(offset))
                if got < 0, errno == EINTR { continue }
                guard got > 0 else { throw reader.corrupt("entry '\(quoted(entry.displayName))' cannot be read") }
                offset += UInt64(got)
                remaining -= UInt64(got)
                return got
            }
        }

        if entry.method == 0 {
            guard entry.compressedSize == entry.uncompressedSize else {
                throw reader.corrupt("stored entry '\(quoted(entry.displayName))' has two different sizes")
            }
            while remaining > 0 {
                try emit(input, try readInput())
            }
        } else {
            var stream = z_stream()
            guard czlib_inflate_init_raw(&stream) == Z_OK else {
                throw ArchiveError(.io, "layer zip \(label): zlib cannot start inflating")
            }
            defer { inflateEnd(&stream) }
            var finished = false
            while !finished {
                if stream.avail_in == 0 {
                    guard remaining > 0 else {
                        throw reader.corrupt("entry '\(quoted(entry.displayName))' ends before its deflate stream")
                    }
                    stream.avail_in = uInt(try readInput())
                    stream.next_in = input
                }
                stream.next_out = output
                stream.avail_out = uInt(Self.chunkSize)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                try emit(output, Self.chunkSize - Int(stream.avail_out))
                switch status {
                case Z_STREAM_END: finished = true
                case Z_OK, Z_BUF_ERROR: continue
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw reader.corrupt("entry '\(quoted(entry.displayName))' does not inflate (\(reason))")
                }
            }
        }
        guard produced == entry.uncompressedSize else {
            throw reader.corrupt(
                "entry '\(quoted(entry.displayName))' has \(produced) bytes, its header declares \(entry.uncompressedSize)"
            )
        }
        guard UInt32(crc) == entry.crc32 else {
            throw reader.corrupt("entry '\(quoted(entry.displayName))' fails its CRC-32 check")
        }
    }
}

/// `text` with control characters escaped, for a message on one line.
private func quoted(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        if scalar.value < 0x20 || scalar.value == 0x7f {
            result += scalar == "\0" ? "\\0" : "\\u{\(String(scalar.value, radix: 16))}"
        } else {
            result.unicodeScalars.append(scalar)
        }
    }
    return result
}
