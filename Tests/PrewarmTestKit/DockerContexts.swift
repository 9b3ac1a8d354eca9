import Crypto
import Foundation
import Testing

/// Docker CLI contexts written as `docker context create` writes them, and the engines ci/test starts.
public enum DockerContexts {
    /// Writes the context `name` for `host` under the docker configuration directory `config`
    /// (`contexts/meta/<SHA-256 of the name>/meta.json`), with `ca.pem`, `cert.pem` and `key.pem` copied from
    /// `tls` into `contexts/tls/<SHA-256>/docker/` when given.
    public static func write(_ name: String, host: String, config: String, tls: String? = nil) throws {
        let digest = SHA256.hash(data: Data(name.utf8)).map { String(format: "%02x", $0) }.joined()
        let meta = "\(config)/contexts/meta/\(digest)"
        try FileManager.default.createDirectory(atPath: meta, withIntermediateDirectories: true)
        let document: [String: Any] = [
            "Name": name, "Metadata": ["Description": "a test context"],
            "Endpoints": ["docker": ["Host": host, "SkipTLSVerify": false]],
        ]
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: meta + "/meta.json"))
        if let tls {
            let directory = "\(config)/contexts/tls/\(digest)/docker"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for file in ["ca.pem", "cert.pem", "key.pem"] {
                try FileManager.default.copyItem(atPath: "\(tls)/\(file)", toPath: "\(directory)/\(file)")
            }
        }
    }

    /// The value of the variable `name` that ci/test sets (`PREWARM_TEST_DOCKER_HOST`, …), or `nil` to skip a
    /// test; with `PREWARM_REQUIRE_ENGINES=1` a missing one is recorded as a failure.
    public static func required(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let value = environment[name], !value.isEmpty { return value }
        if environment["PREWARM_REQUIRE_ENGINES"] == "1" {
            Issue.record(
                "\(name) is not set, but PREWARM_REQUIRE_ENGINES=1 requires it", sourceLocation: sourceLocation)
        }
        return nil
    }
}
