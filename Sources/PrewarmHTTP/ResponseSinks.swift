import Crypto
import Foundation
import PrewarmSupport

/// Holds a whole response body in memory, up to a limit.
final class BufferSink: ResponseSink, @unchecked Sendable {
    var continuation: CheckedContinuation<HTTPResponse, any Error>?
    private let limit: Int
    private let request: RequestSummary
    private var body = Data()

    init(limit: Int, request: RequestSummary) {
        self.limit = limit
        self.request = request
    }

    func receivedHead(_ head: ResponseHead) -> (any Error)? {
        nil
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> SinkWrite {
        guard body.count + bytes.count <= limit else {
            let detail = "the body is larger than the \(limit) bytes allowed in memory; download it to a file"
            return .fail(HTTPError(.responseTooLarge, detail, request: request))
        }
        body.append(contentsOf: bytes)
        return .accepted
    }

    func finish(_ result: Result<ResponseHead, any Error>) {
        let continuation = self.continuation
        self.continuation = nil
        switch result {
        case .success(let head):
            continuation?.resume(
                returning: HTTPResponse(status: head.status, headers: head.headers, body: body, request: request))
        case .failure(let error):
            continuation?.resume(throwing: error)
        }
    }
}

/// Writes a 2xx body to a file while hashing it with SHA-256; keeps the start of any other body for the error.
///
/// Memory stays flat whatever the size: each piece is written and hashed as it arrives. When resuming, the
/// bytes already in the file are hashed from the file (read in pieces) so that the digest covers the whole.
final class FileSink: ResponseSink, @unchecked Sendable {
    var continuation: CheckedContinuation<HTTPDownload, any Error>?
    private let path: String
    private let resumeOffset: Int64
    private let request: RequestSummary
    private var head: ResponseHead?
    private var descriptor: Int32 = -1
    private var hasher = SHA256()
    private var byteCount: Int64 = 0
    private var resumedAt: Int64 = 0
    private var errorBody = Data()

    init(path: String, resumeOffset: Int64, request: RequestSummary) {
        self.path = path
        self.resumeOffset = resumeOffset
        self.request = request
    }

    deinit {
        if descriptor >= 0 { closeDescriptor(descriptor) }
    }

    private var isSuccess: Bool {
        head.map { (200..<300).contains($0.status) } ?? false
    }

    func receivedHead(_ head: ResponseHead) -> (any Error)? {
        self.head = head
        guard isSuccess else { return nil }
        do {
            try openDestination(head)
            return nil
        } catch {
            return error
        }
    }

    private func openDestination(_ head: ResponseHead) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw writeError("cannot open \(path): \(systemErrorMessage())") }
        guard head.status == 206, resumeOffset > 0 else {
            guard ftruncate(descriptor, 0) == 0 else {
                throw writeError("cannot truncate \(path): \(systemErrorMessage())")
            }
            return
        }
        let contentRange = head.headers["Content-Range"] ?? ""
        guard Self.contentRangeStart(contentRange) == resumeOffset else {
            let detail = "asked for the bytes from \(resumeOffset) on, the server sent Content-Range \(contentRange)"
            throw HTTPError(.invalidResponse, detail, request: request)
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw writeError("cannot read \(path): \(systemErrorMessage())")
        }
        guard Int64(status.st_size) >= resumeOffset else {
            throw writeError("cannot resume \(path) at byte \(resumeOffset): the file has only \(status.st_size) bytes")
        }
        guard ftruncate(descriptor, off_t(resumeOffset)) == 0 else {
            throw writeError("cannot truncate \(path): \(systemErrorMessage())")
        }
        try hashExistingPrefix()
        guard lseek(descriptor, off_t(resumeOffset), SEEK_SET) == off_t(resumeOffset) else {
            throw writeError("cannot seek in \(path): \(systemErrorMessage())")
        }
        resumedAt = resumeOffset
        byteCount = resumeOffset
    }

    /// Hashes the first `resumeOffset` bytes of the file, 256 KiB at a time.
    private func hashExistingPrefix() throws {
        let chunkSize = 256 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 1)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < resumeOffset {
            let wanted = Int(min(Int64(chunkSize), resumeOffset - offset))
            let count = pread(descriptor, buffer.baseAddress, wanted, off_t(offset))
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw writeError("cannot read \(path) to resume it: \(systemErrorMessage())") }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            offset += Int64(count)
        }
    }

    /// The first byte of `bytes START-END/TOTAL`, or `nil` when it is not of that form.
    static func contentRangeStart(_ value: String) -> Int64? {
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bytes", let dash = parts[1].firstIndex(of: "-") else {
            return nil
        }
        return Int64(parts[1][..<dash])
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> SinkWrite {
        guard isSuccess else {
            let room = HTTPError.errorBodyLimit - errorBody.count
            if room > 0 { errorBody.append(contentsOf: bytes.prefix(room)) }
            return .accepted
        }
        guard var base = bytes.baseAddress else { return .accepted }
        var remaining = bytes.count
        while remaining > 0 {
            let written = Foundation.write(descriptor, base, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                return .fail(writeError("cannot write \(path): \(systemErrorMessage())"))
            }
            base += written
            remaining -= written
        }
        hasher.update(bufferPointer: bytes)
        byteCount += Int64(bytes.count)
        return .accepted
    }

    func finish(_ result: Result<ResponseHead, any Error>) {
        let continuation = self.continuation
        self.continuation = nil
        var closeFailure: HTTPError?
        if descriptor >= 0 {
            if closeDescriptor(descriptor) != 0 {
                closeFailure = writeError("cannot close \(path): \(systemErrorMessage())")
            }
            descriptor = -1
        }
        switch result {
        case .failure(let error):
            continuation?.resume(throwing: error)
        case .success(let head):
            if let closeFailure {
                continuation?.resume(throwing: closeFailure)
                return
            }
            var file: DownloadedFile?
            if isSuccess {
                let sha256 = Hex.string(hasher.finalize())
                file = DownloadedFile(path: path, byteCount: byteCount, sha256: sha256, resumedAt: resumedAt)
            }
            continuation?.resume(
                returning: HTTPDownload(
                    status: head.status, headers: head.headers, file: file, errorBody: errorBody, request: request))
        }
    }

    private func writeError(_ detail: String) -> HTTPError {
        HTTPError(.bodyWrite, detail, request: request)
    }
}

/// Hands the head to the waiting task as soon as it arrives, then the body chunk by chunk to a ``BodyStream``.
final class StreamSink: ResponseSink, @unchecked Sendable {
    var continuation: CheckedContinuation<HTTPStreamingResponse, any Error>?
    private let stream: BodyStream

    init(stream: BodyStream) {
        self.stream = stream
    }

    func receivedHead(_ head: ResponseHead) -> (any Error)? {
        let continuation = self.continuation
        self.continuation = nil
        let body = HTTPBody(handle: BodyHandle(stream: stream))
        continuation?.resume(
            returning: HTTPStreamingResponse(
                status: head.status, headers: head.headers, body: body, request: stream.request))
        return nil
    }

    func write(_ bytes: UnsafeRawBufferPointer) -> SinkWrite {
        switch stream.deliver(bytes) {
        case .accepted: .accepted
        case .pause: .pause
        case .abort: .fail(CancellationError())
        }
    }

    func finish(_ result: Result<ResponseHead, any Error>) {
        if let continuation {
            self.continuation = nil
            if case .failure(let error) = result {
                continuation.resume(throwing: error)
            }
        }
        stream.finish(result.map { _ in () })
    }
}
