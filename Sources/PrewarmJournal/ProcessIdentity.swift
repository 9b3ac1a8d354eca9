import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who writes to the journal: a process id, and the boot of the machine it runs in.
///
/// The journal records both with every run and claim, so that another process can tell whether
/// the writer is still alive. The boot id matters because process ids start again from 1 after a
/// restart: a run recorded before the machine restarted is dead, even if its pid now belongs to
/// some other live process.
struct ProcessIdentity: Sendable, Hashable {
    var processID: Int32
    /// `/proc/sys/kernel/random/boot_id` on Linux; `nil` where the system offers no boot id.
    var bootID: String?

    /// This process.
    static let current = ProcessIdentity(processID: getpid(), bootID: currentBootID)

    /// The id of the current boot of this machine, or `nil` when it cannot be read.
    static let currentBootID: String? = {
        #if os(Linux)
            guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else {
                return nil
            }
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return id.isEmpty ? nil : id
        #else
            return nil
        #endif
    }()

    /// Whether the process `processID`, recorded during boot `bootID`, may still be alive.
    ///
    /// Dead when the boot ids are both known and differ, or when `kill(pid, 0)` fails with `ESRCH`
    /// (no such process). Alive otherwise, including when `kill` fails with `EPERM` (the process
    /// exists but belongs to another user). The journal is in WAL mode, which works only when all
    /// its writers run on one machine, so a pid in it is a pid of this machine.
    static func isAlive(processID: Int32, bootID: String?) -> Bool {
        if let bootID, let currentBootID, bootID != currentBootID { return false }
        // kill(0, …) and kill(-1, …) address process groups: never send those.
        guard processID > 0 else { return false }
        if kill(processID, 0) == 0 { return true }
        return errno != ESRCH
    }
}
