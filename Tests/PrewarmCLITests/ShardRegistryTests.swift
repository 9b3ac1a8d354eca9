import Foundation
import PrewarmTestKit
import Testing

extension OCIRegistryTests {
    /// The image nodes a run reports as built (`--progress json`).
    static func builtImages(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                object["event"] as? String == "finished", object["kind"] as? String == "image",
                object["outcome"] as? String == "built"
            else { return nil }
            return object["node"] as? String
        }
    }

    /// The CI recipe of the README: two runners each build their shard into one registry cache, and a
    /// third machine fetches everything from it. Each image is built exactly once in all.
    @Test func twoShardsAndACacheFromRunBuildEachImageExactlyOnce() async throws {
        guard let registry = OCITest.required("PREWARM_TEST_REGISTRY") else { return }
        let directory = try TemporaryDirectory("prewarm-shards")
        defer { directory.remove() }
        let template = try OCITest.quickstart(in: directory)
        let rie = try OCITest.standInEmulators(in: directory)
        let cache = "\(registry)/\(OCITest.uniqueRepository("shards"))"
        func build(_ machine: String, _ flags: [String]) async throws -> CommandResult {
            try await OCITest.prewarm(
                [
                    "build", template, "--engine", "oci", "--oci-store", directory.path + "/\(machine)/store",
                    "--journal", directory.path + "/\(machine)/journal.sqlite", "--arch", "x86_64,arm64",
                    "--rie-dir", rie, "--progress", "json",
                ] + flags, home: directory, environment: ["HOME": directory.path + "/\(machine)/home"])
        }

        let first = try await build("a", ["--shard", "1/2", "--cache-to", cache])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try await build("b", ["--shard", "2/2", "--cache-to", cache, "--cache-from", cache])
        #expect(second.status == 0, "\(second.stderr)")
        let shardA = Self.builtImages(first.stdout)
        let shardB = Self.builtImages(second.stdout)
        #expect(shardA.count + shardB.count == 4, "\(shardA) \(shardB)")
        #expect(Set(shardA).isDisjoint(with: shardB), "\(shardA) \(shardB)")
        #expect(first.stderr.contains("prewarm: shard 1/2: \(shardA.count) of 4 image(s)"), "\(first.stderr)")
        #expect(second.stderr.contains("prewarm: shard 2/2: \(shardB.count) of 4 image(s)"), "\(second.stderr)")

        let third = try await build("c", ["--cache-from", cache])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(Self.builtImages(third.stdout).isEmpty, "\(third.stdout.suffix(400))")
        #expect(OCITest.built(third.stdout) == 0, "\(third.stdout.suffix(300))")
        let everything = try OCITest.namedDigests(in: directory.path + "/c/store")
        #expect(everything.count == 6, "4 images and 2 bases: \(everything)")

        let bad = try await build("d", ["--shard", "3/2"])
        #expect(bad.status == 2)
    }
}
