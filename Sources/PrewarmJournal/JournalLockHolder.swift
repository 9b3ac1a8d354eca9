import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Which process holds a journal's write lock, for the message of a journal that stayed locked.
///
/// SQLite in WAL mode takes a POSIX record lock on byte 120 of the `-shm` file while it writes
/// (in rollback mode, on the database file's lock bytes); `fcntl(F_GETLK)` names the process that
/// holds a lock there.
enum JournalLockHolder {
    /// `process 1234 (prewarm build template.yaml)`, or `nil` when no other process holds it or
    /// the system does not say.
    static func describe(path: String) -> String? {
        let candidates: [(String, Int, Int)] = [(path + "-shm", 120, 1), (path, 0x4000_0000, 512)]
        for (file, start, length) in candidates {
            guard let pid = holder(of: file, start: start, length: length) else { continue }
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8))?
                .split(separator: "\0").prefix(4).map { URL(fileURLWithPath: String($0)).lastPathComponent }
                .joined(separator: " ")
            return "process \(pid)" + (command.map { $0.isEmpty ? "" : " (\($0))" } ?? "")
        }
        return nil
    }

    private static func holder(of file: String, start: Int, length: Int) -> pid_t? {
        let descriptor = open(file, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(start)
        lock.l_len = off_t(length)
        guard fcntl(descriptor, F_GETLK, &lock) == 0, lock.l_type != Int16(F_UNLCK) else { return nil }
        return lock.l_pid
    }
}
