import Foundation
import PrewarmTestKit
import Testing

/// `prewarm doctor` against the test engine: everything a build of the quickstart needs is
/// there; with the emulator hidden, it says so, naming `--rie-dir`, and exits 1.
extension EngineTests {
    @Suite struct DoctorTests {
        /// The quickstart, copied, so that its journal directory is the test's own.
        static func quickstart(in directory: TemporaryDirectory) throws -> String {
            let source = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent()
                .deletingLastPathComponent()
                .appendingPathComponent("examples/quickstart").path
            try FileManager.default.copyItem(atPath: source, toPath: directory.path + "/quickstart")
            return directory.path + "/quickstart/template.yaml"
        }

        @Test func everythingIsThereForTheQuickstart() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let directory = try TemporaryDirectory("prewarm-doctor")
            defer { directory.remove() }
            let template = try Self.quickstart(in: directory)
            let result = try await PrewarmExecutable.run(
                ["doctor", template, "--docker-host", host, "--layer-cache-basedir", directory.path + "/layers"])
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            for name in ["engine", "emulator", "base images", "layer cache", "journal", "clock"] {
                let checks = lines.filter { $0.dropFirst(2).hasPrefix(name + ":") }
                #expect(!checks.isEmpty && checks.allSatisfy { $0.hasPrefix("✓ ") }, "\(name): \(result.stdout)")
            }
            // Only free disk space depends on the machine the test runs on.
            #expect(lines.allSatisfy { $0.hasPrefix("✓ ") || $0.hasPrefix("! disk:") }, "\(result.stdout)")
            #expect(lines.contains { $0.hasPrefix("✓ engine: docker at \(host)") }, "\(result.stdout)")
        }

        @Test func aHiddenEmulatorBlocksTheBuildAndNamesTheFlag() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let directory = try TemporaryDirectory("prewarm-doctor")
            defer { directory.remove() }
            let template = try Self.quickstart(in: directory)
            try FileManager.default.createDirectory(
                atPath: directory.path + "/empty", withIntermediateDirectories: true)
            let result = try await PrewarmExecutable.run([
                "doctor", template, "--docker-host", host, "--rie-dir", directory.path + "/empty", "--format", "json",
            ])
            #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(object["schemaVersion"] as? Int == 1)
            #expect(object["ok"] as? Bool == false)
            let checks = try #require(object["checks"] as? [[String: Any]])
            let emulator = checks.filter { $0["name"] as? String == "emulator" }
            #expect(emulator.count == 2)
            #expect(emulator.allSatisfy { $0["state"] as? String == "failed" }, "\(emulator)")
            #expect(emulator.allSatisfy { ($0["detail"] as? String)?.contains("--rie-dir") == true }, "\(emulator)")
            #expect(
                checks.filter { $0["state"] as? String == "failed" }.count == 2, "only the emulator blocks: \(checks)")
        }
    }
}
