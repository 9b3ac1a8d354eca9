import Foundation
import PrewarmTestKit
import Testing

extension EngineTests.LayerARNBuildTests {
    /// `--profile` and `--region` as in SAM CLI, end to end.
    @Suite struct Profiles {
        /// `--profile` names a `credential_process` profile and, as an explicit profile does in SAM CLI,
        /// wins over (wrong) credential variables: the layer downloads through the signed fixture.
        @Test func aCredentialProcessProfileGivenWithProfileBuildsTheApp() async throws {
            guard let host = EngineTests.LayerARNBuildTests.dockerd else { return }
            let app = try await ARNApp.make(
                host: host, layers: [ARNApp.Layer("alpha")],
                functions: [ARNApp.Function("Python", "python3.12", "x86_64", layers: [0])])
            defer { app.directory.remove() }
            try await withLayerServers(try await app.fixtureLayers()) { servers in
                let keys = servers.credentials
                let script = try app.directory.write(
                    "home/bin/credentials.sh",
                    "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"\(keys.accessKeyID)\", "
                        + "\"SecretAccessKey\": \"\(keys.secretAccessKey)\"}'\n")
                try app.directory.write(
                    "home/.aws/config", "[profile tool]\ncredential_process = /bin/sh \(script)\nregion = us-east-1\n")
                var environment = app.environment(servers, secret: "wrong/secret/from/the/environment")
                environment["AWS_PROFILE"] = "other"
                let result = try await app.build(environment, ["--profile", "tool", "--region", "eu-west-1"])
                #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
                #expect(
                    result.stderr.contains("with AWS credentials from credential_process of AWS profile 'tool'"),
                    "\(result.stderr)")
                let counts = try await servers.counts()
                #expect(counts.downloads[app.arns[0]] == 1)
                #expect(counts.rejected == 0)
            }
        }
    }
}
