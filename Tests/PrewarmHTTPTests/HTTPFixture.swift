import Crypto
import Foundation
import PrewarmHTTP
import PrewarmTestKit

/// Tests/Fixtures/http/server.py, run for one test in that test's temporary directory.
struct HTTPFixture {
    let directory: TemporaryDirectory
    let server: FixtureServer

    static let script = Fixtures.path("http/server.py")

    /// `http://127.0.0.1:PORT`.
    var base: String { server.baseURL() }

    /// The unix socket the server listens on, when started with `unixSocket`.
    var socketPath: String { server.listening }

    func stop() {
        server.stop()
        directory.remove()
    }

    /// A path in the test's directory.
    func path(_ name: String) -> String {
        URL(fileURLWithPath: directory.path).appendingPathComponent(name).path
    }
}

/// Runs `body` with a fixture server on 127.0.0.1 (or on a unix socket in the test's directory), then stops
/// the server and removes the directory.
func withHTTPFixture<Result>(
    unixSocket: Bool = false,
    arguments: [String] = [],
    _ body: (HTTPFixture) async throws -> Result
) async throws -> Result {
    let directory = try TemporaryDirectory("prewarm-http")
    let listen = unixSocket ? ["--unix", "\(directory.path)/server.sock"] : ["--port", "0"]
    let server: FixtureServer
    do {
        server = try await FixtureServer.startPython(HTTPFixture.script, listen + arguments, in: directory)
    } catch {
        directory.remove()
        throw error
    }
    let fixture = HTTPFixture(directory: directory, server: server)
    defer { fixture.stop() }
    return try await body(fixture)
}

/// The fixture server's deterministic content: byte `i` is `i % 251`.
enum Pattern {
    private static let period = 251
    private static let block: [UInt8] = (0..<(251 * 4200)).map { UInt8($0 % 251) }

    /// Bytes `range` of the content.
    static func bytes(_ range: Range<Int>) -> Data {
        var data = Data(capacity: range.count)
        var position = range.lowerBound
        while position < range.upperBound {
            let offset = position % period
            let count = min(range.upperBound - position, block.count - offset)
            data.append(contentsOf: block[offset..<offset + count])
            position += count
        }
        return data
    }

    /// The SHA-256 of the first `count` bytes, in hexadecimal, computed a mebibyte at a time.
    static func sha256(count: Int) -> String {
        var hasher = SHA256()
        var position = 0
        while position < count {
            let next = min(count, position + 1024 * 1024)
            hasher.update(data: bytes(position..<next))
            position = next
        }
        return hasher.finalize().hex
    }
}

extension Sequence where Element == UInt8 {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

extension Data {
    var text: String { String(decoding: self, as: UTF8.self) }

    func json() throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: self) as? [String: Any]) ?? [:]
    }
}

/// Waits until `condition` holds, checking every 20 ms, for at most `timeout`; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return false
}
