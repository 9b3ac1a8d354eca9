import Foundation
import PrewarmTestKit
import Testing

/// `prewarm build --metadata-file FILE`: one JSON document per build, written when it ends, for CI and
/// tools (as `docker buildx bake --metadata-file`).
@Suite struct MetadataFileTests {
    func document(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func saysPerFunctionWhatWasBuiltAndPerRunWhenAndHowItEnded() async throws {
        let directory = try TemporaryDirectory("prewarm-metadata")
        defer { directory.remove() }
        let template = try OCITest.quickstart(in: directory)
        let store = directory.path + "/store"
        let metadata = directory.path + "/out/metadata.json"
        try FileManager.default.createDirectory(atPath: directory.path + "/out", withIntermediateDirectories: true)
        func build() async throws -> CommandResult {
            try await OCITest.prewarm(
                ["build", template, "--engine", "oci", "--oci-store", store, "--metadata-file", metadata],
                home: directory)
        }
        let first = try await build()
        #expect(first.status == 0, "\(first.stderr)")
        var object = try document(metadata)
        #expect(object["schemaVersion"] as? Int == 1)
        #expect((object["engine"] as? String)?.hasPrefix("oci store at \(store)") == true, "\(object)")
        let run = try #require(object["run"] as? [String: Any])
        #expect(run["id"] as? Int == 1 && run["outcome"] as? String == "succeeded", "\(run)")
        #expect(run["startedAt"] is String && run["endedAt"] is String && run["seconds"] is Double)
        var functions = try #require(object["functions"] as? [[String: Any]])
        #expect(Set(functions.compactMap { $0["name"] as? String }) == ["Hello", "HelloArm", "Report"])
        let digests = try OCITest.namedDigests(in: store)
        for function in functions {
            let image = try #require(function["image"] as? String)
            #expect(function["outcome"] as? String == "built", "\(function)")
            #expect((function["imageID"] as? String)?.hasPrefix("sha256:") == true)
            #expect(function["manifestDigest"] as? String == digests[image], "\(function)")
            #expect(["x86_64", "arm64"].contains(function["architecture"] as? String ?? ""))
        }

        let second = try await build()
        #expect(second.status == 0, "\(second.stderr)")
        object = try document(metadata)
        #expect((object["run"] as? [String: Any])?["id"] as? Int == 2)
        functions = try #require(object["functions"] as? [[String: Any]])
        #expect(functions.allSatisfy { $0["outcome"] as? String == "up-to-date" }, "\(functions)")
        // Written whole or not at all: no temporary file left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/out") == ["metadata.json"])
    }

    @Test func aFileThatCannotBeWrittenIsExit2WithTheReason() async throws {
        let directory = try TemporaryDirectory("prewarm-metadata-bad")
        defer { directory.remove() }
        let template = try OCITest.quickstart(in: directory)
        let result = try await OCITest.prewarm(
            [
                "build", template, "--engine", "oci", "--oci-store", directory.path + "/store", "--metadata-file",
                directory.path + "/no/such/dir/m.json",
            ], home: directory)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("--metadata-file \(directory.path)/no/such/dir/m.json: cannot write it"))
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/store"), "said before building anything")
    }
}
