import Crypto
import Foundation
import PrewarmSupport

/// SHA-256 digests of files and directory trees, for content keys: the same content always
/// gives the same digest, and any change to a path, mode, link or byte gives another.
public enum ContentDigest {
    /// `sha256:<hex>` of the file at `path`, read in blocks.
    ///
    /// - Throws: `ArchiveError` with code `.io` when it cannot be read.
    public static func file(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ArchiveError(.io, "cannot read \(path)")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        do {
            while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
                hasher.update(data: block)
            }
        } catch {
            throw ArchiveError(.io, "cannot read \(path)", cause: error)
        }
        return "sha256:" + Hex.string(hasher.finalize())
    }

    /// `sha256:<hex>` of a layer directory: every path under it, sorted, with its kind, mode,
    /// and the digest of a file's bytes or a link's target. Times and owners do not count
    /// (they do not reach the image either).
    ///
    /// - Throws: `ArchiveError` with code `.notFound` when the directory does not exist.
    public static func directory(_ path: String) throws -> String {
        var hasher = SHA256()
        let entries = try DirectoryEntry.entries(of: path).sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        for (relative, entry) in entries {
            let line: String
            switch entry {
            case .directory(let mode): line = "d \(String(mode, radix: 8)) \(relative)\n"
            case .file(let source, let mode): line = "f \(String(mode, radix: 8)) \(try file(source)) \(relative)\n"
            case .symlink(let target): line = "l \(relative) -> \(target)\n"
            }
            hasher.update(data: Data(line.utf8))
        }
        return "sha256:" + Hex.string(hasher.finalize())
    }

    /// `sha256:<hex>` of `data`.
    public static func data(_ data: Data) -> String {
        "sha256:" + Hex.string(SHA256.hash(data: data))
    }

    /// `sha256:<hex>` of `text`.
    public static func text(_ text: String) -> String {
        "sha256:" + Hex.string(SHA256.hash(data: Data(text.utf8)))
    }
}
