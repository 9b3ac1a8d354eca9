import Foundation
import PrewarmOCI
import PrewarmTestKit
import Testing

@testable import PrewarmImage

/// Whoever opens an `OCIStore` closes it: closing folds the names it logged into `index.json` and
/// removes its write area; `withStore` closes however its body ends.
@Suite struct OCIStoreCloseTests {
    static func readIndex(_ path: String) throws -> OCIIndex {
        try JSONDecoder().decode(OCIIndex.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/index.json")))
    }

    @Test func closingFoldsTheNamesLogAndRemovesTheWriteArea() throws {
        let directory = try TemporaryDirectory("oci-close")
        defer { directory.remove() }
        let path = directory.path + "/store"
        let store = try OCIStore(path: path)
        let manifest = try store.addManifest(Data("{}".utf8), mediaType: OCIMediaType.imageManifest, names: [])
        for index in 0..<100 { try store.setName("img:\(index)", to: manifest) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: path + "/.tmp").count == 1, "its write area")

        store.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: path + "/.tmp").isEmpty)
        #expect(try Self.readIndex(path).manifests.count == 100)
        #expect((try? Data(contentsOf: URL(fileURLWithPath: path + "/.prewarm-names.log")))?.isEmpty ?? true)
        store.close()  // closing a closed store does nothing

        // Used again, it makes a new write area, which the next close removes.
        try store.setName("img:again", to: manifest)
        store.close()
        #expect(try Self.readIndex(path).manifests.count == 101)
        #expect(try FileManager.default.contentsOfDirectory(atPath: path + "/.tmp").isEmpty)
    }

    @Test func withStoreClosesHoweverItsBodyEnds() async throws {
        struct Stop: Error {}
        let directory = try TemporaryDirectory("oci-with-store")
        defer { directory.remove() }
        let path = directory.path + "/store"
        let manifest = try await OCIStore.withStore(path: path) { store in
            try store.addManifest(Data("{}".utf8), mediaType: OCIMediaType.imageManifest, names: ["img:a"])
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: path + "/.tmp").isEmpty)
        await #expect(throws: Stop.self) {
            try await OCIStore.withStore(path: path) { store in
                try store.setName("img:b", to: manifest)
                throw Stop()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: path + "/.tmp").isEmpty)
        #expect(try Self.readIndex(path).manifests.map(\.digest) == [manifest.digest, manifest.digest])
    }
}
