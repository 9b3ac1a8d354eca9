import Foundation
import PrewarmArchive
import PrewarmImage
import PrewarmSupport
import PrewarmTestKit
import Testing

/// Build contexts are checked with GNU tar and Python's tarfile, two independent readers.
@Suite struct BuildContextTests {
    struct Listed: Equatable {
        var type: String
        var mode: Int
        var size: Int
        var link: String
    }

    /// Reads an archive with Python's tarfile: path → type, mode, size, link target.
    func list(_ archive: String) async throws -> [String: Listed] {
        let script = """
            import json, sys, tarfile
            out = {}
            with tarfile.open(sys.argv[1]) as t:
                for m in t.getmembers():
                    kind = "dir" if m.isdir() else "file" if m.isfile() else "link" if m.issym() else "other"
                    out[m.name] = [kind, m.mode, m.size, m.linkname, m.uid, m.gid, m.mtime, m.uname, m.gname]
            print(json.dumps(out))
            """
        let python = try #require(CommandRunner.which("python3"))
        let result = try await CommandRunner.run(python, ["-c", script, archive])
        try #require(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [Any]] ?? [:]
        var listed: [String: Listed] = [:]
        for (name, fields) in object {
            // Every entry: owner 0:0, no names, time 0.
            #expect(fields[4] as? Int == 0 && fields[5] as? Int == 0 && fields[6] as? Int == 0, "\(name)")
            #expect(fields[7] as? String == "" && fields[8] as? String == "", "\(name)")
            listed[name] = Listed(
                type: fields[0] as? String ?? "", mode: fields[1] as? Int ?? -1, size: fields[2] as? Int ?? -1,
                link: fields[3] as? String ?? "")
        }
        return listed
    }

    func makeLayers(in directory: TemporaryDirectory) throws -> (emulator: String, layers: [String]) {
        let emulator = try directory.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\necho emulator\n")
        try directory.write("one/python/lib/common.py", "one\n")
        try directory.write("one/python/only-one.py", "only one\n")
        try directory.write("one/bin/tool", "tool v1\n")
        try directory.write("one/replaced/inside.txt", "goes away\n")
        try directory.write("two/python/lib/common.py", "two wins\n")
        try directory.write("two/bin/tool", "tool v2\n")
        try directory.write("two/replaced", "now a file\n")
        let long = String(repeating: "deep/", count: 30) + "file-with-a-long-name-" + String(repeating: "x", count: 80)
        try directory.write("two/" + long, "long\n")
        chmod(directory.path + "/two/bin/tool", 0o750)
        try FileManager.default.createSymbolicLink(
            atPath: directory.path + "/two/python/link.py", withDestinationPath: "lib/common.py")
        return (emulator, [directory.path + "/one", directory.path + "/two"])
    }

    @Test func contextHasEmulatorAndMergedLayersWithModes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (emulator, layers) = try makeLayers(in: directory)
        chmod(emulator, 0o600)  // the context makes it 0755 whatever it was
        let context = BuildContext(
            baseImage: "public.ecr.aws/lambda/python:3.12-arm64", emulator: emulator, layers: layers)
        let archive = directory.path + "/context.tar"
        try context.write(to: archive)

        let listed = try await list(archive)
        #expect(listed["Dockerfile"]?.type == "file")
        #expect(listed["rootfs/var/rapid/aws-lambda-rie"] == Listed(type: "file", mode: 0o755, size: 24, link: ""))
        #expect(listed["rootfs/opt/bin/tool"]?.mode == 0o750)
        #expect(listed["rootfs/opt/python/only-one.py"]?.type == "file")
        #expect(
            listed["rootfs/opt/python/link.py"] == Listed(type: "link", mode: 0o777, size: 0, link: "lib/common.py"))
        #expect(listed["rootfs/opt/replaced"]?.type == "file")
        #expect(listed["rootfs/opt/replaced/inside.txt"] == nil)
        #expect(listed.keys.contains { $0.hasSuffix(String(repeating: "x", count: 80)) && $0.count > 256 })

        // GNU tar extracts it to the same files, later layers winning.
        let out = directory.path + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let tar = try #require(CommandRunner.which("tar"))
        let extracted = try await CommandRunner.run(tar, ["-xf", archive, "-C", out])
        #expect(extracted.status == 0, "\(extracted.stderr)")
        #expect(try String(contentsOfFile: out + "/rootfs/opt/python/lib/common.py", encoding: .utf8) == "two wins\n")
        #expect(try String(contentsOfFile: out + "/rootfs/opt/bin/tool", encoding: .utf8) == "tool v2\n")
        #expect(try String(contentsOfFile: out + "/Dockerfile", encoding: .utf8) == context.dockerfile)
        #expect(context.dockerfile == "FROM public.ecr.aws/lambda/python:3.12-arm64\nCOPY rootfs/ /\n")
    }

    @Test func sameInputsGiveTheSameBytes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (emulator, layers) = try makeLayers(in: directory)
        let context = BuildContext(baseImage: "base:1", emulator: emulator, layers: layers)
        try context.write(to: directory.path + "/a.tar")
        // Touch every file: times must not matter.
        let later = Date(timeIntervalSinceNow: 3600)
        for path in try FileManager.default.subpathsOfDirectory(atPath: layers[0]) {
            try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: layers[0] + "/" + path)
        }
        try context.write(to: directory.path + "/b.tar")
        let a = try #require(FileManager.default.contents(atPath: directory.path + "/a.tar"))
        let b = try #require(FileManager.default.contents(atPath: directory.path + "/b.tar"))
        #expect(a == b)
        #expect(a.count % 512 == 0)
    }

    @Test func largeFileIsStreamed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let emulator = try directory.write("rie", "x")
        let big = directory.path + "/layer/big.bin"
        try FileManager.default.createDirectory(atPath: directory.path + "/layer", withIntermediateDirectories: true)
        let size = 5 * 1024 * 1024 + 123
        try Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: big))
        let context = BuildContext(baseImage: "base:1", emulator: emulator, layers: [directory.path + "/layer"])
        let written = try context.write(to: directory.path + "/c.tar")
        #expect(written > UInt64(size))
        #expect(try await list(directory.path + "/c.tar")["rootfs/opt/big.bin"]?.size == size)
    }

    @Test func missingEmulatorOrLayerIsAClearError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let noEmulator = #expect(throws: EngineError.self) {
            try BuildContext(baseImage: "b", emulator: directory.path + "/nope", layers: []).write(
                to: directory.path + "/x.tar")
        }
        #expect(noEmulator?.code == .missingEmulator)
        let emulator = try directory.write("rie", "x")
        let noLayer = #expect(throws: ArchiveError.self) {
            try BuildContext(baseImage: "b", emulator: emulator, layers: [directory.path + "/missing"])
                .write(to: directory.path + "/x.tar")
        }
        #expect(noLayer?.code == .notFound)
        #expect(noLayer?.message.contains("/missing") == true)
    }
}

@Suite struct ContentDigestTests {
    @Test func directoryDigestFollowsContentModesAndLinksButNotTimes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let layer = directory.path + "/layer"
        try directory.write("layer/python/a.py", "a\n")
        try directory.write("layer/bin/tool", "tool\n")
        let first = try ContentDigest.directory(layer)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSinceNow: 999)], ofItemAtPath: layer + "/python/a.py")
        #expect(try ContentDigest.directory(layer) == first)

        chmod(layer + "/bin/tool", 0o755)
        let executable = try ContentDigest.directory(layer)
        #expect(executable != first)
        try directory.write("layer/python/a.py", "b\n")
        let edited = try ContentDigest.directory(layer)
        #expect(edited != executable)
        try FileManager.default.createSymbolicLink(atPath: layer + "/link", withDestinationPath: "python/a.py")
        #expect(try ContentDigest.directory(layer) != edited)
        #expect(ContentDigest.text("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
