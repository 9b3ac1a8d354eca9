import Foundation
import PrewarmSupport

/// Feeds a request body to libcurl's read callback, on the client's thread: bytes from memory, or a file
/// read piece by piece with `pread`, never loaded whole.
final class RequestBodySource {
    private enum Storage {
        case bytes(Data)
        case file(descriptor: Int32, path: String)
    }

    private var storage: Storage
    /// How many bytes the body has; sent as `Content-Length`.
    let length: Int64
    private var position: Int64 = 0
    private let request: RequestSummary

    /// Opens the body of `request`; an empty body when there is none.
    ///
    /// - Throws: ``HTTPError/Code/bodyRead`` when the file cannot be opened.
    init(_ body: HTTPRequestBody?, request: RequestSummary) throws {
        self.request = request
        switch body?.source {
        case .none:
            storage = .bytes(Data())
            length = 0
        case .bytes(let data):
            storage = .bytes(data)
            length = Int64(data.count)
        case .file(let path):
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw HTTPError(.bodyRead, "cannot open \(path): \(systemErrorMessage())", request: request)
            }
            var status = stat()
            guard fstat(descriptor, &status) == 0 else {
                let reason = systemErrorMessage()
                closeDescriptor(descriptor)
                throw HTTPError(.bodyRead, "cannot read the size of \(path): \(reason)", request: request)
            }
            storage = .file(descriptor: descriptor, path: path)
            length = Int64(status.st_size)
        }
    }

    deinit {
        close()
    }

    /// Fills `buffer` with the next bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, HTTPError> {
        let wanted = Int(min(Int64(buffer.count), length - position))
        guard wanted > 0, let base = buffer.baseAddress else { return .success(0) }
        switch storage {
        case .bytes(let data):
            let start = data.startIndex + Int(position)
            data.copyBytes(to: base.assumingMemoryBound(to: UInt8.self), from: start..<start + wanted)
            position += Int64(wanted)
            return .success(wanted)
        case .file(let descriptor, let path):
            while true {
                let count = pread(descriptor, base, wanted, off_t(position))
                if count > 0 {
                    position += Int64(count)
                    return .success(count)
                }
                if count < 0, errno == EINTR { continue }
                let reason = count == 0 ? "the file shrank while it was being sent" : systemErrorMessage()
                return .failure(
                    HTTPError(.bodyRead, "cannot read \(path) at byte \(position): \(reason)", request: request))
            }
        }
    }

    /// Moves to `offset`, for libcurl to send the body again (after a redirect, say). False when out of range.
    func seek(to offset: Int64) -> Bool {
        guard offset >= 0, offset <= length else { return false }
        position = offset
        return true
    }

    /// Closes the file, if any. Safe to call more than once.
    func close() {
        if case .file(let descriptor, _) = storage {
            closeDescriptor(descriptor)
            storage = .bytes(Data())
        }
    }
}
