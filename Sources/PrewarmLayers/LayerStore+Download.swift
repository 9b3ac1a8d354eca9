import Foundation
import PrewarmHTTP
import PrewarmSupport

extension LayerStore {
    /// Downloads `url` to `path`, hashing as it goes, and returns only when the file's SHA-256 is `expected`.
    ///
    /// Transient failures (connection errors, truncated bodies, resets, 5xx and 429) are retried by
    /// ``retryPolicy`` with backoff; each retry resumes from the bytes already in the file with
    /// `Range: bytes=N-`. A server that ignores `Range` and sends the whole body again (200) rewrites the file
    /// from the start; one that answers 416 gets a fresh download. A resumed file with the wrong digest is
    /// downloaded once more from the start, in case the bytes kept were not the resource's. Memory stays flat:
    /// the client writes each piece as it arrives.
    ///
    /// - Throws: ``LayerStoreError`` `.download` after the last attempt (the cause is the ``HTTPError``, whose
    ///   message carries the URL redacted), `.checksumMismatch` when the bytes are not the expected ones (the
    ///   file is removed); `CancellationError`. A failed download's bytes stay in `path` for the next try.
    public func download(name: String, url: String, expectedSHA256: String, to path: String, client: HTTPClient)
        async throws
    {
        guard let expected = Self.normalizedSHA256(expectedSHA256) else {
            throw LayerStoreError(.invalidDigest, "layer \(name): \(expectedSHA256.debugDescription) is not a SHA-256")
        }
        try await fetch(name: name, url: url, expected: expected, to: path, client: client)
    }

    func fetch(name: String, url: String, expected: String, to path: String, client: HTTPClient) async throws {
        var attempts = 0
        var restarted = false
        while true {
            let file: DownloadedFile
            do {
                file = try await retryPolicy.run { _ in
                    attempts += 1
                    return try await fetchOnce(url: url, to: path, client: client)
                }
            } catch let error as HTTPError {
                let times = attempts == 1 ? "1 attempt" : "\(attempts) attempts"
                throw LayerStoreError(
                    .download, "layer \(name): the download failed after \(times); check the network and retry",
                    cause: error)
            }
            if file.sha256 == expected { return }
            unlink(path)
            if file.resumedAt > 0, !restarted {
                restarted = true
                continue
            }
            throw LayerStoreError(
                .checksumMismatch,
                "layer \(name): the zip downloaded from \(URLRedaction.redact(url)) has SHA-256 \(file.sha256), not "
                    + "the expected \(expected); nothing was cached; retry, and check the layer version if it persists")
        }
    }

    /// One request: from the start, or resuming after the bytes already in the file.
    private func fetchOnce(url: String, to path: String, client: HTTPClient) async throws -> DownloadedFile {
        var status = stat()
        let offset = stat(path, &status) == 0 ? Int64(status.st_size) : 0
        var result = try await client.download(HTTPRequest(url: url), to: path, resumingAt: offset)
        if result.status == 416, offset > 0 {
            // Asked past the end: what is there may be whole or not; start again rather than guess.
            unlink(path)
            result = try await client.download(HTTPRequest(url: url), to: path, resumingAt: 0)
        }
        return try result.requireSuccess()
    }
}
