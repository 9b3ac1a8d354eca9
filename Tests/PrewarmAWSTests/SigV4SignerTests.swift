import Crypto
import Foundation
import PrewarmAWS
import PrewarmHTTP
import PrewarmTestKit
import Testing

/// One case of AWS's SigV4 test suite (the `v4` cases of awslabs/aws-c-auth's aws-signing-test-suite):
/// the request as its `request.txt` gives it, and the expected header canonical request and signature.
struct SigV4Vector: Sendable, CustomTestStringConvertible {
    var name: String
    var method = "GET"
    /// The request target of `request.txt`, as written.
    var target: String
    var headers: [(String, String)] = []
    var body = ""
    var sessionToken: String?
    var normalize = true
    /// Whether the vector signs `X-Amz-Content-SHA256` (its `sign_body`).
    var signBody = false
    var canonicalRequest: String
    var signature: String

    var testDescription: String { name }

    static let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let host = "host:example.amazonaws.com"
    static let date8601 = "x-amz-date:20150830T123600Z"
    static let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The canonical request of a vector that signs only `host` and `x-amz-date` and has no body.
    static func plain(_ method: String, _ path: String, _ query: String = "") -> String {
        [method, path, query, host, date8601, "", "host;x-amz-date", emptyHash].joined(separator: "\n")
    }
}

extension SigV4Vector {
    static let all: [SigV4Vector] = [
        SigV4Vector(
            name: "get-vanilla", target: "/", canonicalRequest: plain("GET", "/"),
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        SigV4Vector(
            name: "get-vanilla-query-order-key-case", target: "/?Param2=value2&Param1=value1",
            canonicalRequest: plain("GET", "/", "Param1=value1&Param2=value2"),
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        SigV4Vector(
            name: "get-vanilla-query-order-encoded", target: "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
            canonicalRequest: plain("GET", "/", "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"),
            signature: "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"),
        SigV4Vector(
            name: "get-vanilla-utf8-query", target: "/?ሴ=bar", canonicalRequest: plain("GET", "/", "%E1%88%B4=bar"),
            signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        SigV4Vector(
            name: "get-vanilla-query-unreserved",
            target: "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
                + "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            canonicalRequest: plain(
                "GET", "/",
                "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz="
                    + "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
            signature: "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
        SigV4Vector(
            name: "get-unreserved", target: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            canonicalRequest: plain("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
            signature: "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
        SigV4Vector(
            name: "get-utf8", target: "/ሴ", canonicalRequest: plain("GET", "/%E1%88%B4"),
            signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        SigV4Vector(
            name: "get-space-normalized", target: "/example space/",
            canonicalRequest: plain("GET", "/example%20space/"),
            signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
        SigV4Vector(
            name: "get-space-unnormalized", target: "/example space/", normalize: false,
            canonicalRequest: plain("GET", "/example%20space/"),
            signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
        SigV4Vector(
            name: "get-header-value-trim", target: "/",
            headers: [("My-Header1", " value1"), ("My-Header2", " \"a   b   c\"")],
            canonicalRequest: [
                "GET", "/", "", host, "my-header1:value1", "my-header2:\"a b c\"", date8601, "",
                "host;my-header1;my-header2;x-amz-date", emptyHash,
            ].joined(separator: "\n"),
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        SigV4Vector(
            name: "get-header-key-duplicate", target: "/",
            headers: [("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")],
            canonicalRequest: [
                "GET", "/", "", host, "my-header1:value2,value2,value1", date8601, "", "host;my-header1;x-amz-date",
                emptyHash,
            ].joined(separator: "\n"),
            signature: "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
        SigV4Vector(
            name: "get-slashes-normalized", target: "//example//", canonicalRequest: plain("GET", "/example/"),
            signature: "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
        SigV4Vector(
            name: "get-slashes-unnormalized", target: "//example//", normalize: false,
            canonicalRequest: plain("GET", "//example//"),
            signature: "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"),
        SigV4Vector(
            name: "get-slash-normalized", target: "//", canonicalRequest: plain("GET", "/"),
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        SigV4Vector(
            name: "get-slash-dot-slash-normalized", target: "/./", canonicalRequest: plain("GET", "/"),
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        SigV4Vector(
            name: "get-slash-pointless-dot-normalized", target: "/./example",
            canonicalRequest: plain("GET", "/example"),
            signature: "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"),
        SigV4Vector(
            name: "get-relative-normalized", target: "/example/..", canonicalRequest: plain("GET", "/"),
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        SigV4Vector(
            name: "get-relative-relative-normalized", target: "/example1/example2/../..",
            canonicalRequest: plain("GET", "/"),
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        SigV4Vector(
            name: "get-relative-relative-unnormalized", target: "/example1/example2/../..", normalize: false,
            canonicalRequest: plain("GET", "/example1/example2/../.."),
            signature: "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b"),
        SigV4Vector(
            name: "get-vanilla-with-session-token", target: "/",
            sessionToken: "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
            canonicalRequest: [
                "GET", "/", "", host, date8601,
                "x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267", "",
                "host;x-amz-date;x-amz-security-token", emptyHash,
            ].joined(separator: "\n"),
            signature: "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"),
        SigV4Vector(
            name: "post-vanilla", method: "POST", target: "/", canonicalRequest: plain("POST", "/"),
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        SigV4Vector(
            name: "post-vanilla-query", method: "POST", target: "/?Param1=value1",
            canonicalRequest: plain("POST", "/", "Param1=value1"),
            signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        SigV4Vector(
            name: "post-x-www-form-urlencoded", method: "POST", target: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "13")],
            body: "Param1=value1", signBody: true,
            canonicalRequest: [
                "POST", "/", "", "content-length:13", "content-type:application/x-www-form-urlencoded", host,
                "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e", date8601, "",
                "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
                "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            ].joined(separator: "\n"),
            signature: "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"),
        SigV4Vector(
            name: "post-x-www-form-urlencoded-parameters", method: "POST", target: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), ("Content-Length", "13")],
            body: "Param1=value1", signBody: true,
            canonicalRequest: [
                "POST", "/", "", "content-length:13", "content-type:application/x-www-form-urlencoded; charset=utf-8",
                host, "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
                date8601, "", "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
                "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            ].joined(separator: "\n"),
            signature: "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422"),
    ]
}

@Suite struct SigV4VectorTests {
    @Test(arguments: SigV4Vector.all)
    func matchesTheTestSuite(_ vector: SigV4Vector) throws {
        var credentials = SigV4Vector.credentials
        credentials.sessionToken = vector.sessionToken
        var signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        signer.normalizesPath = vector.normalize
        let payload = sha256Hex(Data(vector.body.utf8))
        var headers = [("Host", "example.amazonaws.com")] + vector.headers
        if vector.signBody { headers.append(("X-Amz-Content-SHA256", payload)) }
        let result = try signer.signature(
            method: vector.method, url: "https://example.amazonaws.com" + vector.target, headers: headers,
            payloadSHA256: payload, date: SigV4Vector.date)
        #expect(result.canonicalRequest == vector.canonicalRequest)
        #expect(result.signature == vector.signature)
        #expect(
            result.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=\(result.signedHeaders), Signature=\(vector.signature)")
    }

    @Test func signAddsTheFieldsItSigned() throws {
        var credentials = SigV4Vector.credentials
        credentials.sessionToken = "token-value"
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        let request = HTTPRequest(url: "https://example.amazonaws.com:443/?Param1=value1", headers: ["User-Agent": "x"])
        let signed = try signer.sign(request, date: SigV4Vector.date, includeContentSHA256: true)
        #expect(signed.headers["Host"] == "example.amazonaws.com")
        #expect(signed.headers["X-Amz-Date"] == "20150830T123600Z")
        #expect(signed.headers["X-Amz-Security-Token"] == "token-value")
        #expect(signed.headers["X-Amz-Content-SHA256"] == SigV4Vector.emptyHash)
        let authorization = try #require(signed.headers["Authorization"])
        #expect(authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
        #expect(!signed.headers.description.contains("token-value"))
    }

    @Test func aBodyNeedsItsHash() {
        let signer = SigV4Signer(credentials: SigV4Vector.credentials, region: "us-east-1", service: "service")
        let request = HTTPRequest(method: .post, url: "https://example.amazonaws.com/", body: .text("x"))
        #expect(throws: AWSError.self) { try signer.sign(request) }
    }

    @Test func nonS3PathsAreEncodedTwice() throws {
        let signer = SigV4Signer(credentials: SigV4Vector.credentials, region: "us-east-1", service: "lambda")
        let result = try signer.signature(
            method: "GET",
            url: "https://lambda.us-east-1.amazonaws.com/2018-10-31/layers/arn%3Aaws%3Alambda/versions/1",
            headers: [], payloadSHA256: SigV4Vector.emptyHash, date: SigV4Vector.date)
        #expect(result.canonicalRequest.hasPrefix("GET\n/2018-10-31/layers/arn%253Aaws%253Alambda/versions/1\n"))
    }
}

/// Lowercase hex SHA-256 of `data`.
func sha256Hex(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}
