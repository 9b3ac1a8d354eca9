import Foundation

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

/// `flock(2)` on a lock file, shared between processes: blocking for a short critical section
/// (`with`), or polled without blocking a thread for a long one held across `await`s (`acquire`).
public enum FileLock {
    /// Runs `body` holding the lock on `path` (created when absent), exclusive or shared; the
    /// calling thread waits for it.
    ///
    /// - Throws: `FileError` with code `.io` when the file cannot be opened or locked; what
    ///   `body` throws.
    public static func with<T>(path: String, exclusive: Bool, _ body: () throws -> T) throws -> T {
        let descriptor = try openLockFile(path)
        defer { close(descriptor) }
        while flock(descriptor, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else {
                throw FileError(.io, "cannot lock \(path): \(systemErrorMessage())")
            }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// Opens the lock file `path`, made when absent unless `create` is `false`.
    ///
    /// - Throws: `FileError` with code `.notFound` when it is absent and not to be made, `.io` when it
    ///   cannot be opened.
    private static func openLockFile(_ path: String, create: Bool = true) throws -> Int32 {
        let descriptor = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0o644)
        guard descriptor >= 0 else {
            let code: FileError.Code = errno == ENOENT && !create ? .notFound : .io
            throw FileError(code, "cannot open the lock file \(path): \(systemErrorMessage())")
        }
        return descriptor
    }

    /// Takes the exclusive lock on the open lock file `descriptor` if no one holds it, without waiting.
    ///
    /// - Returns: `false` when another open file holds it.
    /// - Throws: `FileError` with code `.io` when it cannot be locked (the caller closes `descriptor`).
    private static func lockWithoutWaiting(_ descriptor: Int32, path: String) throws -> Bool {
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EINTR else {
                if errno == EWOULDBLOCK { return false }
                throw FileError(.io, "cannot lock \(path): \(systemErrorMessage())")
            }
        }
        return true
    }
}

extension FileLock {
    /// An exclusive lock taken by ``acquire(path:)``; closing the file (``release()``) releases it.
    public final class Held: Sendable {
        private let descriptor: Locked<Int32?>

        fileprivate init(descriptor: Int32) {
            self.descriptor = Locked(descriptor)
        }

        /// Releases the lock; releasing it again does nothing.
        public func release() {
            descriptor.withLock { descriptor in
                if let open = descriptor { close(open) }
                descriptor = nil
            }
        }
    }

    /// Takes the exclusive lock on `path` if no one holds it, without waiting.
    ///
    /// - Parameter create: whether to create the file when absent; when `false`, an absent file
    ///   gives `nil`.
    /// - Returns: the held lock, or `nil` when another open file holds it (or the file is absent).
    /// - Throws: `FileError` with code `.io` when the file cannot be opened or locked.
    public static func tryAcquire(path: String, create: Bool) throws -> Held? {
        let descriptor: Int32
        do {
            descriptor = try openLockFile(path, create: create)
        } catch let error as FileError where error.code == .notFound {
            return nil
        }
        do {
            if try lockWithoutWaiting(descriptor, path: path) { return Held(descriptor: descriptor) }
        } catch {
            close(descriptor)
            throw error
        }
        close(descriptor)
        return nil
    }

    /// Waits for the exclusive lock on `path` (created when absent) without blocking a thread:
    /// tries without blocking, then sleeps 5 ms, growing to 100 ms, between tries.
    ///
    /// - Returns: the held lock; call `release()` when done.
    /// - Throws: `FileError` with code `.io` when the file cannot be opened or locked;
    ///   `CancellationError` when the task is cancelled while it waits.
    public static func acquire(path: String) async throws -> Held {
        let descriptor = try openLockFile(path)
        var wait = 5
        while true {
            do {
                if try lockWithoutWaiting(descriptor, path: path) { return Held(descriptor: descriptor) }
                try await Task.sleep(for: .milliseconds(wait))
            } catch {
                close(descriptor)
                throw error
            }
            wait = min(wait * 2, 100)
        }
    }
}
