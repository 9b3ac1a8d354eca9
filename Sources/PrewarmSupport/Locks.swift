import Foundation
import PrewarmSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One lock per key, so that a piece of work is done once while others wanting it wait.
public final class KeyedLocks: @unchecked Sendable {
    private let lock = NSLock()
    private var locks: [String: NSLock] = [:]

    public init() {}

    public func with<T>(_ key: String, _ body: () throws -> T) rethrows -> T {
        lock.lock()
        let keyLock = locks[key] ?? NSLock()
        locks[key] = keyLock
        lock.unlock()
        keyLock.lock()
        defer { keyLock.unlock() }
        return try body()
    }
}

/// `flock` on a lock file: held by this process until `body` returns.
public enum FileLock {
    public static func with<T>(path: String, exclusive: Bool, _ body: () throws -> T) throws -> T {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw ImageError(.io, "cannot open the lock file \(path): \(systemErrorMessage())")
        }
        defer { close(descriptor) }
        while flock(descriptor, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else {
                throw ImageError(.io, "cannot lock \(path): \(systemErrorMessage())")
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}
