import Foundation
import PrewarmSupport

/// Writes a tar archive (POSIX ustar, with pax extended headers where ustar's fields are too
/// small) whose bytes depend only on the entries given: every entry has mtime 0, owner
/// 0:0 with no user or group names, and the mode it is given. The same entries in the same
/// order always give the same archive, so its digest can be a content key.
///
/// Entries are written in the order they are added; callers that want a canonical archive add
/// them sorted (see `BuildContext`). File contents are streamed from disk in blocks, never
/// loaded whole.
public struct TarWriter: ~Copyable {
    private let output: (Data) throws -> Void
    private var buffer = Data()
    /// Bytes written so far, including headers and padding.
    public private(set) var bytesWritten: UInt64 = 0

    private static let blockSize = 512
    private static let flushThreshold = 1 << 20

    /// Writes to `output`, which must be open for writing. The writer does not close it.
    public init(output: FileHandle) {
        self.output = { try output.write(contentsOf: $0) }
    }

    /// Hands the archive's bytes, in order, to `sink` (e.g. to hash an archive without writing it).
    public init(sink: @escaping (Data) throws -> Void) {
        self.output = sink
    }

    /// Adds a directory. `path` is relative (`opt/python`), without a trailing slash.
    public mutating func addDirectory(_ path: String, mode: UInt32 = 0o755) throws {
        try writeHeader(path: path + "/", type: .directory, mode: mode, size: 0, linkTarget: "")
    }

    /// Adds a regular file with `contents`.
    public mutating func addFile(_ path: String, contents: Data, mode: UInt32 = 0o644) throws {
        try writeHeader(path: path, type: .file, mode: mode, size: UInt64(contents.count), linkTarget: "")
        append(contents)
        pad(UInt64(contents.count))
        try flushIfNeeded()
    }

    /// Adds a regular file whose contents are read from `source`, in blocks.
    ///
    /// - Throws: `ArchiveError` with code `.io` when the file cannot be read or changes size
    ///   while it is read.
    public mutating func addFile(_ path: String, from source: String, mode: UInt32) throws {
        guard let handle = FileHandle(forReadingAtPath: source) else {
            throw ArchiveError(.io, "cannot read \(source)")
        }
        defer { try? handle.close() }
        let size: UInt64
        do {
            size = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
        } catch {
            throw ArchiveError(.io, "cannot read \(source)", cause: error)
        }
        try writeHeader(path: path, type: .file, mode: mode, size: size, linkTarget: "")
        var remaining = size
        while remaining > 0 {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: Int(min(remaining, UInt64(Self.flushThreshold)))) ?? Data()
            } catch {
                throw ArchiveError(.io, "cannot read \(source)", cause: error)
            }
            guard !chunk.isEmpty else {
                throw ArchiveError(.io, "\(source) became shorter while it was archived")
            }
            append(chunk)
            remaining -= UInt64(chunk.count)
            try flushIfNeeded()
        }
        pad(size)
    }

    /// Adds a symbolic link at `path` pointing to `target`.
    public mutating func addSymlink(_ path: String, target: String) throws {
        try writeHeader(path: path, type: .symlink, mode: 0o777, size: 0, linkTarget: target)
    }

    /// Writes the two zero blocks that end an archive and flushes everything.
    public mutating func finish() throws {
        append(Data(count: Self.blockSize * 2))
        try flush()
    }

    // MARK: - Headers

    private enum EntryType: UInt8 {
        case file = 0x30  // "0"
        case symlink = 0x32  // "2"
        case directory = 0x35  // "5"
        case paxHeader = 0x78  // "x"
    }

    private mutating func writeHeader(path: String, type: EntryType, mode: UInt32, size: UInt64, linkTarget: String)
        throws
    {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
            throw ArchiveError(.invalidPath, "archive path '\(path)' must be relative and stay inside the archive")
        }
        var pax: [(String, String)] = []
        let (prefix, name) = Self.split(path)
        if name == nil { pax.append(("path", path)) }
        if linkTarget.utf8.count > 100 { pax.append(("linkpath", linkTarget)) }
        if size > 0o77777777777 { pax.append(("size", String(size))) }
        if !pax.isEmpty {
            let records = Self.paxRecords(pax)
            append(
                Self.header(
                    name: "PaxHeaders/" + String(path.suffix(80)).replacingOccurrences(of: "/", with: "_"),
                    prefix: "", type: .paxHeader, mode: 0o644, size: UInt64(records.count), linkTarget: ""))
            append(records)
            pad(UInt64(records.count))
        }
        append(
            Self.header(
                name: name ?? String(path.utf8.prefix(100)) ?? "", prefix: prefix, type: type, mode: mode,
                size: size > 0o77777777777 ? 0 : size, linkTarget: String(linkTarget.utf8.prefix(100)) ?? ""))
    }

    /// Splits `path` into ustar's 155-byte prefix and 100-byte name, or returns a nil name
    /// when it does not fit (a pax `path` record carries it then).
    private static func split(_ path: String) -> (prefix: String, name: String?) {
        let bytes = Array(path.utf8)
        if bytes.count <= 100 { return ("", path) }
        guard bytes.count <= 256 else { return ("", nil) }
        for index in bytes.indices.reversed() where bytes[index] == UInt8(ascii: "/") {
            let prefixCount = index
            let nameCount = bytes.count - index - 1
            if prefixCount <= 155, nameCount <= 100, nameCount > 0 {
                return (
                    String(decoding: bytes[..<index], as: UTF8.self),
                    String(decoding: bytes[(index + 1)...], as: UTF8.self)
                )
            }
        }
        return ("", nil)
    }

    private static func paxRecords(_ pairs: [(String, String)]) -> Data {
        var data = Data()
        for (key, value) in pairs {
            // Each record is "LENGTH KEY=VALUE\n" where LENGTH counts the whole record.
            let body = " \(key)=\(value)\n"
            var length = body.utf8.count + 1
            while String(length).utf8.count + body.utf8.count != length { length += 1 }
            data.append(contentsOf: Array((String(length) + body).utf8))
        }
        return data
    }

    private static func header(
        name: String, prefix: String, type: EntryType, mode: UInt32, size: UInt64, linkTarget: String
    ) -> Data {
        var block = [UInt8](repeating: 0, count: blockSize)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: UInt64, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(UInt64(mode & 0o7777), at: 100, width: 8)
        octal(0, at: 108, width: 8)  // uid
        octal(0, at: 116, width: 8)  // gid
        octal(size, at: 124, width: 12)
        octal(0, at: 136, width: 12)  // mtime
        for index in 148..<156 { block[index] = UInt8(ascii: " ") }
        block[156] = type.rawValue
        put(linkTarget, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(prefix, at: 345, width: 155)
        let checksum = block.reduce(0) { $0 + UInt64($1) }
        octal(checksum, at: 148, width: 7)
        block[155] = UInt8(ascii: " ")
        return Data(block)
    }

    // MARK: - Output

    private mutating func append(_ data: Data) {
        buffer.append(data)
        bytesWritten += UInt64(data.count)
    }

    private mutating func pad(_ size: UInt64) {
        let remainder = Int(size % UInt64(Self.blockSize))
        if remainder != 0 { append(Data(count: Self.blockSize - remainder)) }
    }

    private mutating func flushIfNeeded() throws {
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    private mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        do {
            try output(buffer)
        } catch {
            throw ArchiveError(.io, "cannot write the archive", cause: error)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
