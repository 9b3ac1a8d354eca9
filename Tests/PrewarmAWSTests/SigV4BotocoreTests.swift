import Foundation
import PrewarmAWS
import PrewarmTestKit
import Testing

/// A small deterministic random number generator (SplitMix64), so that a failure can be reproduced.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random request, in the shape `Tests/Fixtures/aws/sigv4_botocore.py` reads.
struct RandomSigningCase {
    var method: String
    var url: String
    var headers: [(String, String)]
    var body: String
    var sessionToken: String?
    var region: String
    var service: String
    var date: Date

    static func make(using random: inout SeededGenerator) -> RandomSigningCase {
        func pick<T>(_ options: [T]) -> T { options[Int(random.next() % UInt64(options.count))] }
        func word(_ alphabet: [String], _ range: ClosedRange<Int>) -> String {
            (0..<Int.random(in: range, using: &random)).map { _ in pick(alphabet) }.joined()
        }
        let plain = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~".map(String.init)
        // Already percent-encoded pieces, as a client sends them; never '+' (botocore keeps it as written).
        let encoded = ["%3A", "%2F", "%20", "%E1%88%B4", "%25", "%40", "%2B", "%C3%A9"]
        let pathAlphabet = plain + encoded + ["!", "$", "'", "(", ")", "*", ",", ";", "=", "@", ":"]
        var segments: [String] = []
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            segments.append(pick([word(pathAlphabet, 1...8), word(pathAlphabet, 1...8), ".", "..", ""]))
        }
        var path = "/" + segments.joined(separator: "/")
        if Bool.random(using: &random) && !segments.isEmpty { path += "/" }
        var query: [String] = []
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            let key = word(plain + encoded, 1...6)
            query.append(pick(["\(key)=\(word(plain + encoded, 0...6))", "\(key)=", "\(key)=\(word(plain, 1...3))"]))
        }
        if let first = query.first, Bool.random(using: &random) { query.append(first) }  // a repeated pair
        let host = pick([
            "https://example.amazonaws.com", "https://lambda.eu-west-1.amazonaws.com", "http://127.0.0.1:8123",
            "https://example.amazonaws.com:443", "http://localhost",
        ])
        var headers: [(String, String)] = []
        for _ in 0..<Int.random(in: 0...4, using: &random) {
            let name = pick(["X-Custom-One", "x-custom-one", "X-CUSTOM-TWO", "Content-Type", "My-Header", "User-Agent"])
            let value = pick([
                "value", "  padded  value ", "a   b\tc", "\"quoted   text\"", "application/json; charset=utf-8", "",
            ])
            headers.append((name, value))
        }
        let method = pick(["GET", "GET", "POST", "PUT", "DELETE", "HEAD"])
        let body = method == "POST" || method == "PUT" ? word(plain + ["{", "}", "\"", " "], 0...40) : ""
        return RandomSigningCase(
            method: method, url: host + path + (query.isEmpty ? "" : "?" + query.joined(separator: "&")),
            headers: headers, body: body,
            sessionToken: Bool.random(using: &random) ? "token/" + word(plain, 10...40) + "==" : nil,
            region: pick(["us-east-1", "eu-west-1", "cn-north-1", "ap-southeast-2"]),
            service: pick(["lambda", "service", "execute-api", "sts"]),
            date: Date(timeIntervalSince1970: 1_400_000_000 + Double(random.next() % 400_000_000)))
    }

    var credentials: AWSCredentials {
        AWSCredentials(
            accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            sessionToken: sessionToken)
    }

    var timestamp: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    var json: [String: Any] {
        [
            "method": method, "url": url, "headers": headers.map { [$0.0, $0.1] }, "body": body,
            "access_key_id": credentials.accessKeyID, "secret_access_key": credentials.secretAccessKey,
            "session_token": sessionToken as Any, "region": region, "service": service, "timestamp": timestamp,
        ]
    }
}

@Suite struct SigV4BotocoreTests {
    @Test func randomRequestsSignLikeBotocore() async throws {
        let python = try await AWSServices.python()
        var random = SeededGenerator(state: 20_251_123)
        let cases = (0..<300).map { _ in RandomSigningCase.make(using: &random) }
        let scratch = try TemporaryDirectory("prewarm-sigv4")
        defer { scratch.remove() }
        let input = try scratch.write(
            "cases.json", String(decoding: try JSONSerialization.data(withJSONObject: cases.map(\.json)), as: UTF8.self)
        )
        let script = Fixtures.path("aws/sigv4_botocore.py")
        let result = try await CommandRunner.run("/bin/sh", ["-c", "\"$0\" \"$1\" < \"$2\"", python, script, input])
        #expect(result.status == 0, "\(result.stderr)")
        let answers = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: String]])
        #expect(answers.count == cases.count)
        var mismatches = 0
        for (item, answer) in zip(cases, answers) {
            let signer = SigV4Signer(credentials: item.credentials, region: item.region, service: item.service)
            let signed = try signer.signature(
                method: item.method, url: item.url, headers: item.headers,
                payloadSHA256: sha256Hex(Data(item.body.utf8)), date: item.date)
            if signed.authorization != answer["authorization"] || signed.canonicalRequest != answer["canonical_request"]
            {
                mismatches += 1
                if mismatches <= 3 {
                    Issue.record(
                        Comment(
                            rawValue: "\(item.method) \(item.url) \(item.headers):\nours:\n\(signed.canonicalRequest)"
                                + "\nbotocore:\n\(answer["canonical_request"] ?? "")"))
                }
            }
        }
        #expect(mismatches == 0)
    }
}
