import CZlib
import Crypto
import Foundation
import PrewarmSupport

/// The SHA-256 of the uncompressed content of a gzip stream handed over in blocks: a compressed
/// image layer's diff ID, computed while the layer is stored, without writing what it inflates to.
package final class GzipDigest {
    private var stream = z_stream()
    private var hasher = SHA256()
    private var started = false
    private var finished = false
    private var output = [UInt8](repeating: 0, count: 1 << 16)

    /// - Throws: `ArchiveError` with code `.io` when zlib cannot start.
    package init() throws {
        guard czlib_inflate_init_gzip(&stream) == Z_OK else {
            throw ArchiveError(.io, "zlib cannot start inflating a gzip stream")
        }
        started = true
    }

    deinit {
        if started { inflateEnd(&stream) }
    }

    /// Inflates `data`, the next bytes of the stream, into the digest.
    ///
    /// - Throws: `ArchiveError` with code `.invalidContent` when it is not gzip.
    package func update(_ data: Data) throws {
        guard !data.isEmpty else { return }
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            guard let base = input.bindMemory(to: Bytef.self).baseAddress else { return }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(input.count)
            while stream.avail_in > 0 {
                if finished {
                    // Zeros after the last member are padding; anything else is another member
                    // (concatenated gzip streams form one stream).
                    let rest = UnsafeBufferPointer(start: stream.next_in, count: Int(stream.avail_in))
                    if rest.allSatisfy({ $0 == 0 }) { return }
                    guard inflateReset(&stream) == Z_OK else { throw invalid("cannot read the next gzip member") }
                    finished = false
                }
                let status = output.withUnsafeMutableBufferPointer { buffer -> Int32 in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    let produced = buffer.count - Int(stream.avail_out)
                    hasher.update(
                        bufferPointer: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[0..<produced])))
                    return status
                }
                switch status {
                case Z_STREAM_END: finished = true
                case Z_OK: continue
                case Z_BUF_ERROR where stream.avail_in == 0: return
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw invalid(reason)
                }
            }
        }
    }

    /// The digest of everything inflated, as `sha256:<hex>`.
    ///
    /// - Throws: `ArchiveError` with code `.invalidContent` when the stream ended early.
    package func finalize() throws -> String {
        guard finished else { throw invalid("the gzip stream ends early") }
        return "sha256:" + Hex.string(hasher.finalize())
    }

    /// The digest of what the gzip file at `path` inflates to.
    ///
    /// - Throws: `ArchiveError` with code `.io` when it cannot be read, `.invalidContent` when it
    ///   is not gzip.
    package static func file(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ArchiveError(.io, "cannot read \(path)") }
        defer { try? handle.close() }
        let digest = try GzipDigest()
        do {
            while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty { try digest.update(block) }
        } catch let error as ArchiveError {
            throw ArchiveError(error.code, "\(path) is \(error.text)")
        } catch {
            throw ArchiveError(.io, "cannot read \(path)", cause: error)
        }
        return try digest.finalize()
    }

    private func invalid(_ reason: String) -> ArchiveError {
        ArchiveError(.invalidContent, "not a whole gzip stream (\(reason))")
    }
}
