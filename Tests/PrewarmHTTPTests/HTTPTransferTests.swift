import Crypto
import Foundation
import PrewarmHTTP
import PrewarmTestKit
import Testing

@Suite struct HTTPTransferTests {
    @Test func downloadsFiftyMegabytesToAFileWithItsDigest() async throws {
        try await withHTTPFixture { fixture in
            let size = 50 * 1024 * 1024
            let path = fixture.path("blob")
            let download = try await HTTPClient().download(HTTPRequest(url: "\(fixture.base)/bytes/\(size)"), to: path)
            #expect(download.status == 200)
            let file = try download.requireSuccess()
            #expect(file.path == path)
            #expect(file.byteCount == Int64(size))
            #expect(file.resumedAt == 0)
            #expect(file.sha256 == Pattern.sha256(count: size))
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.size] as? NSNumber)?.intValue == size)
        }
    }

    @Test func resumesADownloadWithARange() async throws {
        try await withHTTPFixture { fixture in
            let size = 1_000_000
            let path = fixture.path("blob")
            // A previous attempt left the first 300 000 bytes, and some garbage after them.
            try (Pattern.bytes(0..<300_000) + Data("garbage".utf8)).write(to: URL(fileURLWithPath: path))
            let download = try await HTTPClient().download(
                HTTPRequest(url: "\(fixture.base)/bytes/\(size)"), to: path, resumingAt: 300_000)
            #expect(download.status == 206)
            let file = try download.requireSuccess()
            #expect(file.resumedAt == 300_000)
            #expect(file.byteCount == Int64(size))
            #expect(file.sha256 == Pattern.sha256(count: size))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Pattern.bytes(0..<size))
        }
    }

    @Test func restartsADownloadWhenTheServerIgnoresTheRange() async throws {
        try await withHTTPFixture { fixture in
            let path = fixture.path("blob")
            try Data(repeating: 0xFF, count: 5000).write(to: URL(fileURLWithPath: path))
            let download = try await HTTPClient().download(
                HTTPRequest(url: "\(fixture.base)/bytes/4000?ranges=0"), to: path, resumingAt: 2000)
            #expect(download.status == 200)
            let file = try download.requireSuccess()
            #expect(file.resumedAt == 0)
            #expect(file.byteCount == 4000)
            #expect(file.sha256 == Pattern.sha256(count: 4000))
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Pattern.bytes(0..<4000))
        }
    }

    @Test func aFailedStatusLeavesTheFileUntouched() async throws {
        try await withHTTPFixture { fixture in
            let path = fixture.path("blob")
            let download = try await HTTPClient().download(HTTPRequest(url: "\(fixture.base)/status/404"), to: path)
            #expect(download.status == 404)
            #expect(download.file == nil)
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(download.errorBody.text.contains("the fixture answers 404"))
            let error = try #require(throws: HTTPError.self) { try download.requireSuccess() }
            #expect(error.code == .status(404))
        }
    }

    @Test func aDownloadIntoAMissingFolderFailsToWrite() async throws {
        try await withHTTPFixture { fixture in
            let path = fixture.path("missing/blob")
            let error = try await #require(throws: HTTPError.self) {
                try await HTTPClient().download(HTTPRequest(url: "\(fixture.base)/bytes/10"), to: path)
            }
            #expect(error.code == .bodyWrite)
            #expect(error.message.contains(path))
        }
    }

    @Test func uploadsAFileAsItIsRead() async throws {
        try await withHTTPFixture { fixture in
            let size = 8 * 1024 * 1024 + 17
            let path = fixture.path("upload")
            try Pattern.bytes(7..<(7 + size)).write(to: URL(fileURLWithPath: path))
            let expected = SHA256.hash(data: Pattern.bytes(7..<(7 + size))).hex
            let client = HTTPClient()
            for method in [HTTPMethod.post, .put] {
                let response = try await client.execute(
                    HTTPRequest(method: method, url: "\(fixture.base)/digest", body: .file(path: path))
                ).requireSuccess()
                let result = try response.body.json()
                #expect(result["method"] as? String == method.rawValue)
                #expect(result["bytes"] as? Int == size)
                #expect(result["content_length"] as? String == "\(size)")
                #expect(result["sha256"] as? String == expected)
                #expect(result["expect"] is NSNull)
            }

            let small = fixture.path("small")
            try Data("hello, file".utf8).write(to: URL(fileURLWithPath: small))
            let echo = try await client.execute(
                HTTPRequest(method: .put, url: "\(fixture.base)/echo", body: .file(path: small)))
            #expect(echo.body.text == "hello, file")
            #expect(echo.headers["X-Request-Method"] == "PUT")
        }
    }

    @Test func aMissingUploadFileFailsToRead() async throws {
        try await withHTTPFixture { fixture in
            let path = fixture.path("absent")
            let error = try await #require(throws: HTTPError.self) {
                try await HTTPClient().execute(
                    HTTPRequest(method: .put, url: "\(fixture.base)/echo", body: .file(path: path)))
            }
            #expect(error.code == .bodyRead)
            #expect(error.message.contains("cannot open \(path)"))
        }
    }

    @Test func streamedChunksArriveBeforeTheResponseEnds() async throws {
        try await withHTTPFixture { fixture in
            let client = HTTPClient()
            let gate = UUID().uuidString
            let response = try await client.stream(HTTPRequest(url: "\(fixture.base)/ndjson?lines=4&gate=\(gate)"))
            #expect(response.status == 200)
            #expect(response.headers["Content-Type"] == "application/x-ndjson")
            var lines = response.body.lines.makeAsyncIterator()
            let first = try #require(try await lines.next())
            #expect(try first.json()["index"] as? Int == 0)
            // The server holds the rest of the stream until released; the first line came while it waits.
            let release = try await client.execute(HTTPRequest(url: "\(fixture.base)/release?id=\(gate)"))
            #expect(try release.body.json()["waiting"] as? Bool == true)
            var indices: [Int] = []
            while let line = try await lines.next() {
                indices.append(try line.json()["index"] as? Int ?? -1)
            }
            #expect(indices == [1, 2, 3])
        }
    }

    @Test(arguments: [false, true])
    func linesAreCutAcrossChunks(crlf: Bool) async throws {
        try await withHTTPFixture { fixture in
            let url = "\(fixture.base)/ndjson-split?lines=50&piece=7&crlf=\(crlf ? 1 : 0)"
            let response = try await HTTPClient().stream(HTTPRequest(url: url))
            var indices: [Int] = []
            for try await line in response.body.lines {
                #expect(line.last != UInt8(ascii: "\r"))
                indices.append(try line.json()["index"] as? Int ?? -1)
            }
            #expect(indices == Array(0...50))
        }
    }

    @Test func aSlowReaderPausesTheStreamWithoutLosingBytes() async throws {
        try await withHTTPFixture { fixture in
            let size = 6 * 1024 * 1024
            let response = try await HTTPClient().stream(HTTPRequest(url: "\(fixture.base)/bytes/\(size)"))
            var hasher = SHA256()
            var count = 0
            var chunks = 0
            for try await chunk in response.body {
                hasher.update(data: chunk)
                count += chunk.count
                chunks += 1
                // Slower than loopback, so the body backs up past its buffer and the transfer pauses.
                if chunks.isMultiple(of: 8) { try await Task.sleep(for: .milliseconds(2)) }
            }
            #expect(count == size)
            #expect(hasher.finalize().hex == Pattern.sha256(count: size))
        }
    }

    @Test func aStreamedErrorStatusCarriesTheServersMessage() async throws {
        try await withHTTPFixture { fixture in
            let response = try await HTTPClient().stream(HTTPRequest(url: "\(fixture.base)/status/409"))
            #expect(response.status == 409)
            let error = try await #require(throws: HTTPError.self) { try await response.requireSuccess() }
            #expect(error.code == .status(409))
            #expect(error.message.contains("the fixture answers 409 as asked"))
        }
    }
}
