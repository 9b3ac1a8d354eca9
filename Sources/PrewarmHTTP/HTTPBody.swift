import Foundation
import PrewarmSupport

/// The body of a ``HTTPStreamingResponse``: the chunks of the body in the order they arrive, each as soon
/// as libcurl has received it.
///
/// At most about 1 MiB is held for a reader that is slower than the network; beyond that the transfer is
/// paused until the reader catches up, so memory stays flat. Iterate it once. Iteration ends (`nil`)
/// when the whole body has arrived and throws ``HTTPError`` when the transfer fails, or
/// `CancellationError` when the reading task is cancelled, which also aborts the transfer. Dropping the
/// body before its end aborts the transfer as well.
public struct HTTPBody: AsyncSequence, Sendable {
    public typealias Element = Data

    let handle: BodyHandle

    public func makeAsyncIterator() -> Iterator {
        Iterator(handle: handle)
    }

    /// Reads the next chunk of a ``HTTPBody``.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        let handle: BodyHandle

        /// The next chunk, or `nil` at the end of the body.
        public mutating func next() async throws -> Data? {
            try await handle.stream.next()
        }
    }

    /// The body cut into lines, for newline-delimited JSON such as Docker's build and pull progress.
    ///
    /// Each element is one line without its `\n` or `\r\n`; empty lines are skipped, and a last line
    /// without a line break is still returned. A line longer than 16 MiB throws
    /// ``HTTPError/Code/responseTooLarge``.
    public var lines: HTTPBodyLines {
        HTTPBodyLines(body: self)
    }
}

/// The lines of a ``HTTPBody``; see ``HTTPBody/lines``.
public struct HTTPBodyLines: AsyncSequence, Sendable {
    public typealias Element = Data

    let body: HTTPBody
    static let maximumLineLength = 16 * 1024 * 1024

    public func makeAsyncIterator() -> Iterator {
        Iterator(chunks: body.makeAsyncIterator())
    }

    /// Reads the next line of a ``HTTPBody``.
    public struct Iterator: AsyncIteratorProtocol, Sendable {
        var chunks: HTTPBody.Iterator
        /// Received bytes; those before `start` were already returned.
        var buffer = Data()
        var start = 0
        var ended = false

        /// The next non-empty line, or `nil` at the end of the body.
        public mutating func next() async throws -> Data? {
            while true {
                if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Self.trimmingCarriageReturn(buffer[start..<newline])
                    start = newline + 1
                    if line.isEmpty { continue }
                    return line
                }
                if ended {
                    let line = Self.trimmingCarriageReturn(buffer[start...])
                    buffer = Data()
                    start = buffer.startIndex
                    return line.isEmpty ? nil : line
                }
                if buffer.count - start > HTTPBodyLines.maximumLineLength {
                    chunks.handle.stream.abandon()
                    let detail = "a line of the body is longer than \(HTTPBodyLines.maximumLineLength) bytes"
                    throw HTTPError(.responseTooLarge, detail, request: chunks.handle.stream.request)
                }
                guard let chunk = try await chunks.next() else {
                    ended = true
                    continue
                }
                if start > buffer.startIndex {
                    buffer.removeSubrange(buffer.startIndex..<start)
                    start = buffer.startIndex
                }
                buffer.append(chunk)
            }
        }

        private static func trimmingCarriageReturn(_ line: Data.SubSequence) -> Data {
            if line.last == UInt8(ascii: "\r") { return Data(line.dropLast()) }
            return Data(line)
        }
    }
}

/// Keeps a body's transfer alive while someone can still read it, and aborts it when no one can.
final class BodyHandle: Sendable {
    let stream: BodyStream

    init(stream: BodyStream) {
        self.stream = stream
    }

    deinit {
        stream.abandon()
    }
}

/// The chunks of a streamed body between the client's thread, which delivers them, and the task that reads
/// them. Pauses the transfer when the reader falls behind by more than `highWater` bytes.
final class BodyStream: Sendable {
    /// What the client's thread should do with the chunk it offered.
    enum Delivery {
        case accepted, pause, abort
    }

    private struct State {
        var chunks: [Data] = []
        var firstChunk = 0
        var bufferedBytes = 0
        var end: Result<Void, any Error>?
        var waiter: CheckedContinuation<Data?, any Error>?
        var paused = false
        var abandoned = false
        /// Cleared when the transfer ends, so that the transfer and this stream do not keep each other.
        var control: TransferControl?

        mutating func popChunk() -> Data? {
            guard firstChunk < chunks.count else { return nil }
            let chunk = chunks[firstChunk]
            firstChunk += 1
            if firstChunk == chunks.count {
                chunks.removeAll(keepingCapacity: true)
                firstChunk = 0
            }
            bufferedBytes -= chunk.count
            return chunk
        }
    }

    let request: RequestSummary
    private let highWater: Int
    private let state: Locked<State>

    init(request: RequestSummary, highWater: Int = 1024 * 1024) {
        self.request = request
        self.highWater = highWater
        self.state = Locked(State())
    }

    /// Connects the stream to its transfer, before the transfer starts.
    func attach(_ control: TransferControl) {
        state.withLock { $0.control = control }
    }

    // MARK: The client's thread

    /// Offers a chunk; `.pause` means it was not taken and libcurl must offer it again after a resume.
    func deliver(_ bytes: UnsafeRawBufferPointer) -> Delivery {
        let (delivery, waiter) = state.withLock { state -> (Delivery, CheckedContinuation<Data?, any Error>?) in
            if state.abandoned { return (.abort, nil) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (.accepted, waiter)
            }
            if state.bufferedBytes >= highWater {
                state.paused = true
                return (.pause, nil)
            }
            state.chunks.append(Data(bytes))
            state.bufferedBytes += bytes.count
            return (.accepted, nil)
        }
        waiter?.resume(returning: Data(bytes))
        return delivery
    }

    /// Ends the body: `.success` after the last chunk, or the failure that stopped it.
    func finish(_ result: Result<Void, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Data?, any Error>? in
            state.end = result
            state.control = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        guard let waiter else { return }
        switch result {
        case .success: waiter.resume(returning: nil)
        case .failure(let error): waiter.resume(throwing: error)
        }
        markEndDelivered()
    }

    // MARK: The reading task

    /// The next chunk, `nil` at the end. Throws the transfer's failure once, then returns `nil`.
    func next() async throws -> Data? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data?, any Error>) in
                enum Step {
                    case chunk(Data, resume: TransferControl?)
                    case end(Result<Void, any Error>)
                    case cancelled
                    case wait(resume: TransferControl?)
                }
                let step = state.withLock { state -> Step in
                    if let chunk = state.popChunk() {
                        var resume: TransferControl?
                        if state.paused, state.bufferedBytes <= highWater / 2 {
                            state.paused = false
                            resume = state.control
                        }
                        return .chunk(chunk, resume: resume)
                    }
                    if let end = state.end { return .end(end) }
                    if Task.isCancelled { return .cancelled }
                    state.waiter = continuation
                    var resume: TransferControl?
                    if state.paused {
                        state.paused = false
                        resume = state.control
                    }
                    return .wait(resume: resume)
                }
                switch step {
                case .chunk(let chunk, let resume):
                    resume?.resume()
                    continuation.resume(returning: chunk)
                case .end(.success):
                    continuation.resume(returning: nil)
                case .end(.failure(let error)):
                    markEndDelivered()
                    continuation.resume(throwing: error)
                case .cancelled:
                    continuation.resume(throwing: CancellationError())
                case .wait(let resume):
                    resume?.resume()
                }
            }
        } onCancel: {
            let (waiter, control) = state.withLock { state in
                defer { state.waiter = nil }
                return (state.waiter, state.control)
            }
            control?.cancel()
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// No one will read any more: drop what is held and abort the transfer if it still runs.
    func abandon() {
        let control = state.withLock { state -> TransferControl? in
            state.abandoned = true
            state.chunks = []
            state.firstChunk = 0
            state.bufferedBytes = 0
            return state.control
        }
        control?.cancel()
    }

    /// After a failure has been thrown once, the body reads as ended.
    private func markEndDelivered() {
        state.withLock { state in
            if case .failure = state.end { state.end = .success(()) }
        }
    }
}
