import Foundation
import PrewarmHTTP
import Testing

@Suite struct URLRedactionTests {
    static let accessKeyID = "AKIAIOSFODNN7EXAMPLE"
    static let signature = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
    static let token = "FQoGZXIvYXdzEJr0tOkenValue"

    /// A pre-signed S3 GetObject URL, with user information for good measure.
    static func presigned(host: String) -> String {
        "http://alice:pa55word@\(host)/layers/abc.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            + "&X-Amz-Credential=\(accessKeyID)%2F20250101%2Fus-east-1%2Fs3%2Faws4_request"
            + "&X-Amz-Date=20250101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
            + "&X-Amz-Security-Token=\(token)&X-Amz-Signature=\(signature)"
    }

    static func expectNoSecret(in text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in [accessKeyID, signature, token, "pa55word", "alice"] {
            #expect(!text.contains(secret), "\(secret) appears in \(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func redactsPresignedQueryValuesAndUserInformation() {
        let redacted = URLRedaction.redact(Self.presigned(host: "bucket.s3.amazonaws.com"))
        #expect(
            redacted
                == "http://REDACTED@bucket.s3.amazonaws.com/layers/abc.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                + "&X-Amz-Credential=REDACTED&X-Amz-Date=20250101T000000Z&X-Amz-Expires=900"
                + "&X-Amz-SignedHeaders=host&X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED")
    }

    @Test func redactsOtherSignatureStyles() {
        #expect(
            URLRedaction.redact("https://b.s3.amazonaws.com/k?AWSAccessKeyId=AKIA1&Expires=1&Signature=abc%2Bdef")
                == "https://b.s3.amazonaws.com/k?AWSAccessKeyId=REDACTED&Expires=1&Signature=REDACTED")
        #expect(
            URLRedaction.redact("https://x.blob.core.windows.net/c/b?sv=2020&sig=abc&se=2025#frag")
                == "https://x.blob.core.windows.net/c/b?sv=2020&sig=REDACTED&se=2025#REDACTED")
        #expect(
            URLRedaction.redact("http://localhost/v1.45/build?t=app:1&pull=0")
                == "http://localhost/v1.45/build?t=app:1&pull=0")
        #expect(URLRedaction.redact("not a url?token=x") == "not a url?token=REDACTED")
        #expect(URLRedaction.redact("https://user@host/p") == "https://REDACTED@host/p")
        #expect(URLRedaction.redact("https://host/p@q") == "https://host/p@q")
    }

    @Test func scrubsSecretsFromOtherText() {
        let url = Self.presigned(host: "bucket.s3.amazonaws.com")
        let body =
            "<Error><AWSAccessKeyId>\(Self.accessKeyID)</AWSAccessKeyId>"
            + "<SignatureProvided>\(Self.signature)</SignatureProvided></Error>"
        let scrubbed = URLRedaction.scrub(body, secretsOf: url)
        Self.expectNoSecret(in: scrubbed)
        #expect(scrubbed.contains("<SignatureProvided>REDACTED</SignatureProvided>"))
    }

    @Test func aTransportErrorDoesNotRevealThePresignedURL() async throws {
        let url = Self.presigned(host: "127.0.0.1:1")
        let error = try await #require(throws: HTTPError.self) {
            try await HTTPClient().execute(HTTPRequest(url: url))
        }
        #expect(error.code == .couldNotConnect)
        Self.expectNoSecret(in: error.message)
        Self.expectNoSecret(in: error.description)
        Self.expectNoSecret(in: String(describing: error))
        Self.expectNoSecret(in: error.redactedURL)
        #expect(error.message.contains("/layers/abc.zip?X-Amz-Algorithm=AWS4-HMAC-SHA256"))
        #expect(error.message.contains("X-Amz-Signature=REDACTED"))
    }

    @Test func aStatusErrorDoesNotRevealThePresignedURLEvenWhenTheServerEchoesIt() async throws {
        try await withHTTPFixture { fixture in
            let host = fixture.base.replacingOccurrences(of: "http://", with: "")
            let url = Self.presigned(host: host).replacingOccurrences(of: "/layers/", with: "/status-echo/403/")
            let response = try await HTTPClient().execute(HTTPRequest(url: url))
            #expect(response.status == 403)
            #expect(response.body.text.contains(Self.signature))  // the server did echo it
            let error = try #require(throws: HTTPError.self) { try response.requireSuccess() }
            #expect(error.code == .status(403))
            #expect(error.message.contains("403 Forbidden"))
            Self.expectNoSecret(in: error.message)
            Self.expectNoSecret(in: error.description)
        }
    }

    @Test func headerDescriptionsHideCredentials() {
        let headers: HTTPHeaders = ["Authorization": "Bearer secret-token", "X-Registry-Auth": "e30=", "Accept": "*/*"]
        #expect(headers.description == "Authorization: REDACTED, X-Registry-Auth: REDACTED, Accept: */*")
    }
}
