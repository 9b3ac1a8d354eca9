import Foundation
import PrewarmSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One path of a directory tree as it goes into an image layer: a directory, a regular file or a
/// symbolic link, with its permission bits (times and owners never reach an image).
public enum DirectoryEntry: Sendable, Equatable {
    case directory(mode: UInt32)
    case file(source: String, mode: UInt32)
    case symlink(target: String)

    /// The entries of one layer directory, relative to it, without following links.
    ///
    /// - Returns: every path under `directory`, relative to it, in no particular order.
    /// - Throws: `ArchiveError` with code `.notFound` when `directory` does not exist, `.invalidContent` when it holds
    ///   something other than files, directories and links; `.io` when it cannot be read.
    public static func entries(of directory: String) throws -> [(String, DirectoryEntry)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw ArchiveError(.notFound, "layer directory \(directory) does not exist")
        }
        let manager = FileManager.default
        var result: [(String, DirectoryEntry)] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? directory : directory + "/" + relative
            let names: [String]
            do {
                names = try manager.contentsOfDirectory(atPath: absolute)
            } catch {
                throw ArchiveError(.io, "cannot list \(absolute)", cause: error)
            }
            for name in names {
                let childRelative = relative.isEmpty ? name : relative + "/" + name
                let childAbsolute = absolute + "/" + name
                var status = stat()
                guard lstat(childAbsolute, &status) == 0 else {
                    throw ArchiveError(.io, "cannot read \(childAbsolute): \(systemErrorMessage())")
                }
                let mode = UInt32(status.st_mode) & 0o7777
                switch UInt32(status.st_mode) & UInt32(S_IFMT) {
                case UInt32(S_IFDIR):
                    result.append((childRelative, .directory(mode: mode)))
                    pending.append(childRelative)
                case UInt32(S_IFREG):
                    result.append((childRelative, .file(source: childAbsolute, mode: mode)))
                case UInt32(S_IFLNK):
                    let target: String
                    do {
                        target = try manager.destinationOfSymbolicLink(atPath: childAbsolute)
                    } catch {
                        throw ArchiveError(.io, "cannot read link \(childAbsolute)", cause: error)
                    }
                    result.append((childRelative, .symlink(target: target)))
                default:
                    throw ArchiveError(
                        .invalidContent, "\(childAbsolute) is not a file, directory or link; a layer cannot hold it")
                }
            }
        }
        return result
    }
}
