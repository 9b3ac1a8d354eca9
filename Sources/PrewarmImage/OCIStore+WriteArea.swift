import Foundation
import PrewarmSupport

// The write area: where one store object writes its temporary files, `.tmp/prewarm-<UUID>/`, a
// `ScratchDirectory` locked by its process.
//
// Invariants:
// - every temporary file of the object (a blob being ingested, a new `index.json`, …) is in its area, on
//   the file system of `blobs/`, so that the rename that publishes it is atomic;
// - the area exists, locked, from the first write until `close()`; an area whose lock no process holds is
//   abandoned, and is removed by whoever opens the store for use next (or `verify --repair`, `gc`), while a
//   live writer's area is never touched;
// - `bytesWritten` counts every byte written to the store's files through it (blobs, temporary files,
//   `index.json`, the names log), `blobBytesWritten` those of blobs.
extension OCIStore {
    /// One store object's temporary files, and the count of what it wrote.
    final class WriteArea: Sendable {
        private let parent: String
        private let state = Locked(State())

        private struct State {
            var area: ScratchDirectory?
            var bytesWritten: Int64 = 0
            var blobBytesWritten: Int64 = 0
        }

        /// An area to be made under `parent` (the store's `.tmp/`) on first use.
        init(in parent: String) {
            self.parent = parent
        }

        /// The area's directory, made (and locked) on first use.
        ///
        /// - Throws: `EngineError` with code `.io` when it cannot be made.
        func path() throws -> String {
            try state.withLock { state in
                if let area = state.area { return area.path }
                let area = try ScratchDirectory(in: parent)
                state.area = area
                return area.path
            }
        }

        /// A new path for a temporary file in the area.
        func temporaryFilePath() throws -> String {
            try path() + "/" + UUID().uuidString + ".partial"
        }

        /// Writes `data` to `file` through a temporary file in the area, fsynced, then renamed.
        func writeAtomically(_ data: Data, to file: String) throws {
            try AtomicFile.write(data, to: file, temporaryDirectory: try path())
            count(data.count)
        }

        /// Counts `count` bytes written (to a blob, when `toBlob`).
        func count(_ count: Int, toBlob: Bool = false) {
            state.withLock {
                $0.bytesWritten += Int64(count)
                if toBlob { $0.blobBytesWritten += Int64(count) }
            }
        }

        var bytesWritten: Int64 { state.withLock { $0.bytesWritten } }
        var blobBytesWritten: Int64 { state.withLock { $0.blobBytesWritten } }

        /// Removes the area and what is in it, and lets go of its lock; the next write makes a new one.
        func close() {
            let area = state.withLock { state in
                defer { state.area = nil }
                return state.area
            }
            area?.remove()
        }
    }
}
