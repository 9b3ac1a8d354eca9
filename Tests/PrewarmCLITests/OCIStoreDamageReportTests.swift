import Foundation
import PrewarmTestKit
import Testing

/// What a build says about damage it finds in the OCI store (the quickstart, built once, then damaged
/// from outside): a damaged base is named as such, with how to bring it back, not as the network error of
/// the pull that could not replace it; a damaged layer blob written again is said in one line and a JSON
/// event.
@Suite struct OCIStoreDamageReportTests {
    let directory: TemporaryDirectory
    let template: String
    let store: String

    init() throws {
        directory = try TemporaryDirectory("prewarm-oci-report")
        template = try OCITest.quickstart(in: directory)
        store = directory.path + "/store"
    }

    func build(_ extra: [String] = []) async throws -> CommandResult {
        try await OCITest.prewarm(
            ["build", template, "--engine", "oci", "--oci-store", store, "--progress", "json"] + extra,
            home: directory)
    }

    func blob(_ digest: String) -> String { store + "/blobs/sha256/" + digest.dropFirst("sha256:".count) }

    /// The digests of the layers of the image named `name`.
    func layers(of name: String) throws -> [String] {
        let digest = try #require(try OCITest.namedDigests(in: store)[name], "\(name) is in the store")
        let manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: blob(digest))))
            as? [String: Any]
        return (manifest?["layers"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }
    }

    func flip(_ file: String) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[bytes.startIndex + bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: file))
    }

    @Test func aDamagedBaseIsSaidToBeDamagedNotAsTheFailedPull() async throws {
        defer { directory.remove() }
        let first = try await build()
        try #require(first.status == 0, "\(first.stderr)")
        // From now on the base can only come from its registry: a mirror on 127.0.0.1 where nothing answers.
        let text = try String(contentsOfFile: template, encoding: .utf8)
        try text.replacingOccurrences(of: "    BaseImages: bases/\n", with: "").write(
            toFile: template, atomically: true, encoding: .utf8)
        let base = "public.ecr.aws/lambda/python:3.12-x86_64"
        let layer = try #require(try layers(of: base).first)
        try flip(blob(layer))

        // x86_64 only: the arm64 base is a stand-in too, which a template without Metadata.Prewarm refuses.
        let damaged = try await build(["--registry-mirror", "public.ecr.aws=127.0.0.1:9", "--arch", "x86_64"])
        #expect(damaged.status == 1, "\(damaged.stderr)")
        let errors = damaged.stderr.split(separator: "\n").filter { $0.hasPrefix("prewarm: error:") }
        #expect(errors.count == 1, "\(damaged.stderr)")
        let error = String(errors.first ?? "")
        #expect(
            error.contains(
                "the local copy of base image \(base) in the OCI store at \(store) is damaged (its layer \(layer) is "
                    + "missing or does not hash to its name); bring it back with `prewarm import FILE`"),
            "\(error)")
        #expect(error.contains("; a pull failed: "), "why the pull could not bring it back comes last: \(error)")
    }

    @Test func aDamagedLayerBlobWrittenAgainIsSaidInOneLineAndAnEvent() async throws {
        defer { directory.remove() }
        let first = try await build()
        try #require(first.status == 0, "\(first.stderr)")
        let image = "samcli/lambda-python:3.12-x86_64-ea35a2dafa693f01cf9de8ed7"
        let shared = try #require(try layers(of: image).last, "the shared Lambda layer is the image's last")
        try flip(blob(shared))

        let again = try await build()
        #expect(again.status == 0, "\(again.stderr)")
        let said = again.stderr.split(separator: "\n").filter { $0.contains("was damaged") }
        #expect(said.count == 1, "\(again.stderr)")
        #expect(
            said.first?.hasSuffix(
                ": blob \(shared) in the OCI store at \(store) was damaged (it no longer hashed to its name); it was "
                    + "written again") == true,
            "\(again.stderr)")
        let events = again.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let repaired = events.filter { $0["event"] as? String == "repaired" }
        #expect(repaired.count == 1, "\(again.stdout)")
        #expect(repaired.first?["blob"] as? String == shared)
        #expect(repaired.first?["kind"] as? String == "image")
        #expect((repaired.first?["node"] as? String)?.hasPrefix("image:") == true)
        #expect(repaired.first?["schemaVersion"] as? Int == 1)
        let verify = try await OCITest.prewarm(["verify", "--oci-store", store], home: directory)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }
}
