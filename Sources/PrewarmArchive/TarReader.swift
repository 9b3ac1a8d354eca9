import Foundation
import PrewarmSupport

/// The entries of a tar archive on disk (ustar, pax and GNU long names), read from their
/// headers without unpacking: for each regular file, where its content lies in the archive.
package struct TarReader {
    package struct Entry: Sendable {
        package var name: String
        package var offset: UInt64
        package var size: UInt64
    }

    package let path: String
    /// Regular files by name (`./` stripped), in the order they appear.
    package private(set) var files: [String: Entry] = [:]
    /// Symbolic and hard links by name (`./` stripped): their targets, as a path in the
    /// archive (a symbolic link's resolved against its directory).
    package private(set) var links: [String: String] = [:]

    /// Reads the headers of the archive at `path`.
    ///
    /// - Throws: `ArchiveError` with code `.invalidArchive` when it is not a tar archive.
    package init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ArchiveError(.io, "cannot read \(path)")
        }
        defer { try? handle.close() }
        var offset: UInt64 = 0
        var longName: String?
        var paxPath: String?
        var paxSize: UInt64?
        var longLink: String?
        var paxLink: String?
        while true {
            let header: Data
            do {
                try handle.seek(toOffset: offset)
                header = try handle.read(upToCount: 512) ?? Data()
            } catch {
                throw ArchiveError(.io, "cannot read \(path)", cause: error)
            }
            if header.count < 512 || header.allSatisfy({ $0 == 0 }) { break }
            let bytes = [UInt8](header)
            guard Self.checksumMatches(bytes) else {
                throw ArchiveError(.invalidArchive, "\(path) is not a tar archive (bad header at byte \(offset))")
            }
            let type = bytes[156]
            let size = paxSize ?? Self.number(bytes[124..<136])
            let dataOffset = offset + 512
            var name = Self.string(bytes[0..<100])
            if bytes[257..<263].elementsEqual(Array("ustar\0".utf8)) {
                let prefix = Self.string(bytes[345..<500])
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "L"), UInt8(ascii: "K"):
                let data = try Self.read(handle, at: dataOffset, count: Int(size), path: path)
                if type == UInt8(ascii: "L") {
                    longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                } else if type == UInt8(ascii: "K") {
                    longLink = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                } else {
                    for (key, value) in Self.paxRecords(data) {
                        if key == "path" { paxPath = value }
                        if key == "size" { paxSize = UInt64(value) }
                        if key == "linkpath" { paxLink = value }
                    }
                }
            default:
                let clean = Self.clean(paxPath ?? longName ?? name)
                if type == UInt8(ascii: "0") || type == 0 || type == UInt8(ascii: "7") {
                    files[clean] = Entry(name: clean, offset: dataOffset, size: size)
                } else if type == UInt8(ascii: "1") || type == UInt8(ascii: "2") {
                    let target = paxLink ?? longLink ?? Self.string(bytes[157..<257])
                    // A hard link names a path in the archive; a symbolic one, relative to its directory.
                    let directory = clean.split(separator: "/").dropLast().joined(separator: "/")
                    links[clean] =
                        type == UInt8(ascii: "1") || target.hasPrefix("/")
                        ? Self.clean(target) : Self.clean(directory.isEmpty ? target : directory + "/" + target)
                }
                longName = nil
                longLink = nil
                paxPath = nil
                paxLink = nil
                paxSize = nil
            }
            offset = dataOffset + (size + 511) / 512 * 512
        }
    }

    /// The regular file `name`, following links (as `docker save` writes a layer that two
    /// images share: once, and a symbolic link to it); `nil` when there is none.
    package func file(_ name: String) -> Entry? {
        var current = Self.clean(name)
        for _ in 0..<16 {
            if let entry = files[current] { return entry }
            guard let target = links[current] else { return nil }
            current = target
        }
        return nil
    }

    /// `name` without `./`, `.` and `..` parts (a `..` above the top is dropped) or slashes at either end.
    static func clean(_ name: String) -> String {
        var parts: [Substring] = []
        for part in name.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return parts.joined(separator: "/")
    }

    /// The content of the file `name` (following links).
    package func data(_ name: String) throws -> Data? {
        guard let entry = file(name) else { return nil }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ArchiveError(.io, "cannot read \(path)") }
        defer { try? handle.close() }
        return try Self.read(handle, at: entry.offset, count: Int(entry.size), path: path)
    }

    /// Hands the content of `entry` to `body` in blocks.
    package func stream(_ entry: Entry, to body: (Data) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ArchiveError(.io, "cannot read \(path)") }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: entry.offset)
        } catch {
            throw ArchiveError(.io, "cannot read \(path)", cause: error)
        }
        var remaining = entry.size
        while remaining > 0 {
            let block: Data
            do {
                block = try handle.read(upToCount: Int(min(remaining, 1 << 20))) ?? Data()
            } catch {
                throw ArchiveError(.io, "cannot read \(path)", cause: error)
            }
            guard !block.isEmpty else {
                throw ArchiveError(.invalidArchive, "\(path) is truncated inside \(entry.name)")
            }
            try body(block)
            remaining -= UInt64(block.count)
        }
    }

    private static func read(_ handle: FileHandle, at offset: UInt64, count: Int, path: String) throws -> Data {
        do {
            try handle.seek(toOffset: offset)
            let data = try handle.read(upToCount: count) ?? Data()
            guard data.count == count else {
                throw ArchiveError(.invalidArchive, "\(path) is truncated at byte \(offset + UInt64(data.count))")
            }
            return data
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(.io, "cannot read \(path)", cause: error)
        }
    }

    private static func checksumMatches(_ bytes: [UInt8]) -> Bool {
        var sum: UInt64 = 0
        for (index, byte) in bytes.enumerated() { sum += (148..<156).contains(index) ? 32 : UInt64(byte) }
        return number(bytes[148..<156]) == sum
    }

    private static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal field, or a base-256 one (high bit set), as GNU tar writes large sizes.
    private static func number(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        if let first = bytes.first, first & 0x80 != 0 {
            return bytes.dropFirst().reduce(UInt64(first & 0x7f)) { ($0 << 8) | UInt64($1) }
        }
        let text = string(bytes).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        return UInt64(text, radix: 8) ?? 0
    }

    private static func paxRecords(_ data: Data) -> [(String, String)] {
        // Each record is "LENGTH KEY=VALUE\n", LENGTH counting the whole record.
        var records: [(String, String)] = []
        let bytes = [UInt8](data)
        var index = 0
        while index < bytes.count {
            guard let space = bytes[index...].firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: bytes[index..<space], as: UTF8.self)), length > 0,
                index + length <= bytes.count, space + 1 <= index + length - 1
            else { break }
            let body = bytes[(space + 1)..<(index + length - 1)]
            if let equals = body.firstIndex(of: UInt8(ascii: "=")) {
                records.append(
                    (
                        String(decoding: body[..<equals], as: UTF8.self),
                        String(decoding: body[(equals + 1)...], as: UTF8.self)
                    ))
            }
            index += length
        }
        return records
    }
}
