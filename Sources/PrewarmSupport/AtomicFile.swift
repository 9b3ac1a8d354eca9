import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files replaced whole or not at all: written to a temporary file beside the target (or in a
/// directory on the same file system), flushed to disk, renamed over the target, and the
/// directory synced, so that a reader, a crash or a power loss sees the old content or the new,
/// never a part.
public enum AtomicFile {
    /// Replaces `path` with `data`.
    ///
    /// - Parameter temporaryDirectory: where the temporary file goes (on the same file system as
    ///   `path`); by default `path`'s own directory.
    /// - Throws: `FileError` with code `.io` saying which step failed and why; the temporary file
    ///   is removed and `path` is left as it was.
    public static func write(_ data: Data, to path: String, temporaryDirectory: String? = nil) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let temporary = (temporaryDirectory ?? directory) + "/." + UUID().uuidString + ".partial"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FileError(.io, "cannot create \(temporary)", cause: POSIXError.current)
        }
        do {
            defer { close(descriptor) }
            try writeAll(descriptor, data, path: temporary)
            guard fsync(descriptor) == 0 else {
                throw FileError(.io, "cannot sync \(temporary)", cause: POSIXError.current)
            }
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let reason = POSIXError.current
            unlink(temporary)
            throw FileError(.io, "cannot rename \(temporary) to \(path)", cause: reason)
        }
        syncDirectory(directory)
    }

    /// Writes all of `data` to `descriptor`, retrying short and interrupted writes.
    ///
    /// - Throws: `FileError` with code `.io` naming `path` when a write fails.
    public static func writeAll(_ descriptor: Int32, _ data: Data, path: String) throws {
        try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileError(.io, "cannot write \(path)", cause: POSIXError.current)
                }
                offset += written
            }
        }
    }

    /// Flushes `directory`'s entries (a rename into it) to disk; best effort.
    public static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
