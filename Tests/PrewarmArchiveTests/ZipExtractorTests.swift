import Foundation
import PrewarmArchive
import PrewarmLayers
import PrewarmSupport
import PrewarmTestKit
import Testing

@Suite struct ZipExtractorTests {
    @Test func keepsModesLinksAndNestedDirectories() async throws {
        let directory = try TemporaryDirectory("prewarm-zip")
        defer { directory.remove() }
        let zips = try await LayerZips.make(["good.zip"], in: directory.path + "/zips")
        let layer = directory.path + "/layer"
        let result = try ZipExtractor().extract(zips + "/good.zip", to: layer, label: "good")
        #expect(result.bytes == 18 + 6 + 12 + 4 + 9 + (1 << 20) + 2 + 11, "files and link targets")
        #expect(
            tree(layer) == [
                "bin/", "bin/suid", "bin/tool", "data/", "data/blob.bin", "lib/", "lib/current", "lib/v1/",
                "lib/v1/libx.so", "python/", "python/lib/", "python/lib/mod.py", "python/tool", "ro/", "ro/f",
            ])
        #expect(mode(layer) == 0o755)
        #expect(mode(layer + "/bin/tool") == 0o755)
        #expect(mode(layer + "/bin/suid") == 0o755, "setuid is stripped")
        #expect(mode(layer + "/python/lib/mod.py") == 0o644)
        #expect(mode(layer + "/ro/f") == 0o444)
        #expect(mode(layer + "/ro") == 0o755, "a read-only directory gets the owner's rwx")
        #expect(mode(layer + "/python/lib") == 0o755, "a directory the archive does not list is 0755")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: layer + "/lib/current") == "v1")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: layer + "/python/tool") == "../bin/tool")
        #expect(try String(contentsOfFile: layer + "/python/tool", encoding: .utf8) == "#!/bin/sh\necho hi\n")
        #expect(tree(directory.path).filter { $0.hasPrefix(".zip-") }.isEmpty, "no temporary directory is left")
    }

    @Test func refusesAnExistingDestination() async throws {
        let directory = try TemporaryDirectory("prewarm-zip")
        defer { directory.remove() }
        let zips = try await LayerZips.make(["good.zip"], in: directory.path + "/zips")
        try directory.write("layer/keep", "mine")
        let error = #expect(throws: ArchiveError.self) {
            try ZipExtractor().extract(zips + "/good.zip", to: directory.path + "/layer", label: "good")
        }
        #expect(error?.message.contains("already exists") == true)
        #expect(tree(directory.path + "/layer") == ["keep"])
        #expect(tree(directory.path).filter { $0.hasPrefix(".zip-") }.isEmpty)
    }

    /// A zip whose entries nest 2,000 directories deep: deeper than a path can name, so
    /// `FileManager.removeItem` cannot remove it; `FileTree.remove` (what the extractor and the
    /// layer cache remove temporary directories with) can, and leaves nothing.
    @Test func aTreeTooDeepForOnePathIsRemovedWhole() async throws {
        let directory = try TemporaryDirectory("prewarm-zip")
        defer { directory.remove() }
        let path = directory.path + "/deep.zip"
        let script = """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w") as z:
                z.writestr("d/" * 2000 + "f.txt", "deep")
            """
        let made = try await CommandRunner.run("/usr/bin/python3", ["-c", script, path])
        try #require(made.status == 0, "\(made.stderr)")
        let layer = directory.path + "/layer"
        _ = try? ZipExtractor().extract(path, to: layer, label: "deep")
        #expect(FileTree.remove(layer))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["deep.zip"], "nothing is left")
        #expect(FileTree.remove(layer), "an absent tree is removed already")
    }

    @Test func rejectsADamagedArchive() throws {
        let directory = try TemporaryDirectory("prewarm-zip")
        defer { directory.remove() }
        let path = try directory.write("not.zip", String(repeating: "not a zip ", count: 100))
        let error = #expect(throws: ArchiveError.self) {
            try ZipExtractor().extract(path, to: directory.path + "/layer", label: "not")
        }
        #expect(error?.code == .invalidArchive)
        #expect(
            error?.message
                == "layer zip not: no end of central directory record; the archive is damaged or not a zip file")
        #expect(tree(directory.path) == ["not.zip"])
    }

    /// A hostile zip, the error it must give, and where.
    struct Hostile: Sendable, CustomTestStringConvertible {
        var zip: String
        var message: String
        var code: ArchiveError.Code
        var testDescription: String { zip }
    }

    static let hostile: [Hostile] = [
        Hostile(
            zip: "traversal.zip", message: "entry '../../x' escapes the layer directory; the archive is rejected",
            code: .invalidPath),
        Hostile(zip: "absolute.zip", message: "entry '/etc/x' is an absolute path", code: .invalidPath),
        Hostile(zip: "dotdot-middle.zip", message: "entry 'a/../../x' escapes the layer directory", code: .invalidPath),
        Hostile(zip: "backslash.zip", message: "has a backslash in its name", code: .invalidPath),
        Hostile(zip: "nul.zip", message: "entry 'a\\0b' has a NUL in its name", code: .invalidPath),
        Hostile(
            zip: "link-root.zip", message: "entry 'evil' is a symlink to '/', outside the layer directory",
            code: .invalidPath),
        Hostile(zip: "link-root-write.zip", message: "entry 'a' is a symlink to '/'", code: .invalidPath),
        Hostile(
            zip: "link-through.zip", message: "entry 'a/x' would be written through the symlink 'a'",
            code: .invalidPath),
        Hostile(
            zip: "link-escape.zip", message: "entry 'a/b' is a symlink to '../../x', outside the layer directory",
            code: .invalidPath),
        Hostile(
            zip: "bomb.zip", message: "its entries declare 62914560 bytes, more than the limit of 52428800",
            code: .layerTooLarge),
        Hostile(
            zip: "liar.zip", message: "entry 'zeros' expands past the 1000 bytes its header declares",
            code: .layerTooLarge),
        Hostile(
            zip: "claims-12g.zip", message: "its entries declare 12884901882 bytes, more than the limit",
            code: .layerTooLarge),
    ]

    /// Each hostile zip, extracted as a local layer into a cache inside a sentinel directory: rejected with a
    /// clear error, nothing written anywhere in the sentinel, and no cache entry.
    @Test(arguments: hostile) func rejectsAHostileZip(_ hostile: Hostile) async throws {
        let directory = try TemporaryDirectory("prewarm-zip")
        defer { directory.remove() }
        let zips = try await LayerZips.make([hostile.zip], in: directory.path + "/zips")
        let sentinel = directory.path + "/sentinel"
        let store = LayerStore(baseDirectory: sentinel + "/a/b/layers", maxExpandedSize: 50 * 1024 * 1024)
        let error = await #expect(throws: ArchiveError.self) {
            try await store.localZip(path: zips + "/" + hostile.zip)
        }
        #expect(error?.code == hostile.code)
        #expect(error?.message.contains(hostile.message) == true, "\(error?.message ?? "no error")")
        #expect(error?.message.hasPrefix("layer zip \(zips)/\(hostile.zip): ") == true)
        #expect(error?.message.contains("\n") == false)
        let hex = try ContentDigest.file(zips + "/" + hostile.zip).dropFirst(7)
        #expect(
            tree(sentinel) == [
                "a/", "a/b/", "a/b/layers/", "a/b/layers/.prewarm/", "a/b/layers/.prewarm/local/",
                "a/b/layers/.prewarm/local/\(hex).lock",
            ],
            "only the lock file remains")
        #expect(tree(directory.path).filter { !$0.hasPrefix("sentinel") && !$0.hasPrefix("zips") }.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/etc/x"))
    }

    /// The limit counts the bytes actually written: liar.zip declares 1000 bytes, under a limit of 2000, and
    /// is stopped while inflating, not trusted.
    @Test func stopsAtTheLimitWhileWriting() async throws {
        let directory = try TemporaryDirectory("prewarm-zip")
        defer { directory.remove() }
        let zips = try await LayerZips.make(["liar.zip"], in: directory.path + "/zips")
        let error = #expect(throws: ArchiveError.self) {
            try ZipExtractor(maxExpandedSize: 2000).extract(
                zips + "/liar.zip", to: directory.path + "/layer", label: "liar")
        }
        #expect(error?.code == .layerTooLarge)
        #expect(error?.text.inputs.contains { $0 as? ArchiveInput == .maxExpandedSize } == true)
        #expect(error?.limit == 2000)
        // As prewarm prints it, with the flag: SettingFlagsTests.
        #expect(
            error?.message
                == "layer zip liar: expands past the limit of 2000 bytes (`maxLayerSize`) at entry 'zeros'; "
                + "the archive is rejected")
        #expect(tree(directory.path).filter { !$0.hasPrefix("zips") }.isEmpty)
    }
}
