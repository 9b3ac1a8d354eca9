import Foundation
import PrewarmArchive
import PrewarmSupport
import PrewarmTestKit
import Testing

/// Entries whose paths no file system could hold are refused before anything is written, in a short message;
/// deep trees of real size (`node_modules`) are extracted as before.
@Suite struct ZipPathLimitTests {
    /// Writes a zip at `path` with python's zipfile; `body` adds the entries to `z`.
    func makeZip(_ path: String, _ body: String) async throws {
        let script = "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n" + body
        let made = try await CommandRunner.run("/usr/bin/python3", ["-c", script, path])
        try #require(made.status == 0, "\(made.stderr)")
    }

    /// 2,000 nested directories, each an entry: the deepest paths are 6,000 bytes long. The archive is refused
    /// at once, naming the first entry over the limit shortened, and nothing is written.
    @Test func refusesAPathLongerThanAPathMayBe() async throws {
        let directory = try TemporaryDirectory("prewarm-zip")
        defer { directory.remove() }
        let zip = directory.path + "/nested.zip"
        try await makeZip(zip, "    for depth in range(1, 2001):\n        z.writestr('ab/' * depth, '')\n")
        let error = #expect(throws: ArchiveError.self) {
            try ZipExtractor().extract(zip, to: directory.path + "/layer", label: "nested")
        }
        #expect(error?.code == .invalidPath)
        let first = String(repeating: "ab/", count: 1366)
        #expect(
            error?.message
                == "layer zip nested: entry '\(first.prefix(60))…\(first.suffix(40))' has a path of 4098 bytes, "
                + "longer than the 4096 a path may have; the archive is rejected")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["nested.zip"])
    }

    @Test func refusesANameLongerThanAFileNameMayBe() async throws {
        let directory = try TemporaryDirectory("prewarm-zip")
        defer { directory.remove() }
        let zip = directory.path + "/long-name.zip"
        try await makeZip(zip, "    z.writestr('ok.txt', 'ok')\n    z.writestr('lib/' + 'n' * 300 + '.py', 'x')\n")
        let error = #expect(throws: ArchiveError.self) {
            try ZipExtractor().extract(zip, to: directory.path + "/layer", label: "long-name")
        }
        #expect(error?.code == .invalidPath)
        let name = String(repeating: "n", count: 300) + ".py"
        let shown = "\(name.prefix(60))…\(name.suffix(40))"
        #expect(
            error?.message
                == "layer zip long-name: entry 'lib/\(name.prefix(56))…\(name.suffix(40))' has a name of 303 bytes "
                + "('\(shown)'), longer than the 255 a file name may have; the archive is rejected")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["long-name.zip"])
    }

    /// A path under the limit that is still too long once under the extraction's directory fails as the system
    /// says, in a short line that names the entry shortened.
    @Test func aPathTooLongUnderTheDirectoryFailsInAShortLine() async throws {
        let directory = try TemporaryDirectory("prewarm-zip")
        defer { directory.remove() }
        let zip = directory.path + "/deep.zip"
        try await makeZip(zip, "    for depth in range(1, 1366):\n        z.writestr('ab/' * depth, '')\n")
        let error = #expect(throws: ArchiveError.self) {
            try ZipExtractor().extract(zip, to: directory.path + "/layer", label: "deep")
        }
        #expect(error?.code == .io)
        #expect((error?.message.count ?? 0) < 250, "\(error?.message.prefix(300) ?? "no error")")
        #expect(error?.message.hasSuffix("File name too long") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["deep.zip"])
    }

    /// A deep tree as npm makes them, with names of up to 255 bytes, is extracted whole.
    @Test func acceptsADeepRealTree() async throws {
        let directory = try TemporaryDirectory("prewarm-zip")
        defer { directory.remove() }
        let zip = directory.path + "/node.zip"
        try await makeZip(
            zip,
            """
                path = 'nodejs'
                for depth in range(40):
                    path += '/node_modules/package-%d' % depth
                    z.writestr(path + '/index.js', 'module.exports = %d\\n' % depth)
                z.writestr(path + '/' + 'x' * 251 + '.js', 'long')

            """)
        let layer = directory.path + "/layer"
        let result = try ZipExtractor().extract(zip, to: layer, label: "node")
        #expect(result.entries == 40 * 2 + 1 + 41)
        var deepest = layer + "/nodejs"
        for depth in 0..<40 { deepest += "/node_modules/package-\(depth)" }
        #expect(try String(contentsOfFile: deepest + "/index.js", encoding: .utf8) == "module.exports = 39\n")
        let long = deepest + "/" + String(repeating: "x", count: 251) + ".js"
        #expect(try String(contentsOfFile: long, encoding: .utf8) == "long")
    }
}
