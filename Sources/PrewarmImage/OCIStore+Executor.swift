import Dispatch

extension OCIStore {
    /// Where an `OCIStore` does its blocking work: reading, hashing and writing blobs, taking `flock`s,
    /// renaming and syncing files.
    ///
    /// That work blocks for as long as a file system or another process's lock takes. Running it on this
    /// executor's dispatch queue — whose threads come from Dispatch's pool, which adds threads when they
    /// block — keeps it off Swift's cooperative thread pool, which has one thread per core and must never
    /// block (as `JournalExecutor` does for the journal's SQLite calls). The queue is concurrent: builds
    /// into one store run side by side, and the store's own locks order what must be ordered.
    final class BlockingExecutor: Sendable {
        private let queue: DispatchQueue

        init(label: String) {
            queue = DispatchQueue(label: label, attributes: .concurrent)
        }

        /// Runs `body` on the queue and returns what it made, or throws what it threw.
        func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
            try await withCheckedThrowingContinuation { continuation in
                queue.async { continuation.resume(with: Result { try body() }) }
            }
        }
    }
}
