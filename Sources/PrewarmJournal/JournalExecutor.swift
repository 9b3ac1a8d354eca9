import Dispatch

/// The serial executor of one ``Journal``: runs the actor's jobs on its own dispatch queue.
///
/// SQLite calls block: a write waits up to the busy timeout for another process's lock, and a
/// commit may write to disk. Running them on this queue — whose threads come from Dispatch's
/// pool, which adds threads when they block — keeps them off Swift's cooperative thread pool,
/// which has one thread per core and must never block.
final class JournalExecutor: SerialExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    /// Runs `body` on the queue and returns what it made.
    ///
    /// For the work done before the actor exists (opening the file, migrating it); the value
    /// made is handed over to the caller, so it may be a non-`Sendable` connection.
    func run<Value>(_ body: @escaping @Sendable () throws -> sending Value) async throws -> sending Value {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do {
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
