import Foundation
import PrewarmTestKit
import Testing

/// `prewarm images` lists the OCI store; `prewarm export --function` writes a function's images.
@Suite struct ImagesCommandTests {
    func images(_ arguments: [String], home: TemporaryDirectory) async throws -> [[String: Any]] {
        let result = try await OCITest.prewarm(["images", "--format", "json"] + arguments, home: home)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return try #require(object["images"] as? [[String: Any]])
    }

    @Test func listsWhatTheStoreHoldsAndExportsAFunctionsImages() async throws {
        let directory = try TemporaryDirectory("prewarm-images")
        defer { directory.remove() }
        let template = try OCITest.quickstart(in: directory)
        let store = directory.path + "/store"
        let build = try await OCITest.prewarm(
            ["build", template, "--engine", "oci", "--oci-store", store], home: directory)
        #expect(build.status == 0, "\(build.stderr)")

        let all = try await images(["--oci-store", store], home: directory)
        let names = all.compactMap { $0["name"] as? String }
        #expect(names.count == 5, "3 images and 2 bases: \(names)")
        let mine = try await images(["--oci-store", store, "--template", template], home: directory)
        #expect(mine.count == 3, "\(mine)")
        #expect(mine.allSatisfy { ($0["size"] as? Int ?? 0) > 0 && $0["stored"] is String })
        let arm = try #require(mine.first { ($0["name"] as? String)?.contains("arm64") == true })
        #expect(arm["architecture"] as? String == "arm64")
        let digests = try OCITest.namedDigests(in: store)
        #expect(mine.allSatisfy { digests[$0["name"] as? String ?? ""] == $0["manifestDigest"] as? String })

        let text = try await OCITest.prewarm(["images", "--oci-store", store], home: directory)
        #expect(text.stdout.hasPrefix("NAME "), "\(text.stdout)")
        #expect(text.stdout.contains("5 image(s) in \(store)"), "\(text.stdout)")

        // export --function: the images of Hello and HelloArm, round-tripped into another store.
        let archive = directory.path + "/hello.tar"
        let export = try await OCITest.prewarm(
            [
                "export", "--oci-store", store, "--format", "oci", "-o", archive, "--function", "Hello", "--function",
                "HelloArm", "-t", template,
            ], home: directory)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("wrote 2 image(s)"), "\(export.stdout)")
        let other = directory.path + "/other"
        let imported = try await OCITest.prewarm(["import", "--oci-store", other, archive], home: directory)
        #expect(imported.status == 0, "\(imported.stderr)")
        let copied = try await images(["--oci-store", other], home: directory).compactMap { $0["name"] as? String }
        let hello = Set(mine.compactMap { $0["name"] as? String }.filter { $0.hasPrefix("samcli/lambda-") })
        #expect(Set(copied) == hello, "\(copied)")

        let unknown = try await OCITest.prewarm(
            ["export", "--oci-store", store, "-o", archive, "--function", "Nope", "-t", template], home: directory)
        #expect(unknown.status == 2, "\(unknown.stderr)")
    }
}
