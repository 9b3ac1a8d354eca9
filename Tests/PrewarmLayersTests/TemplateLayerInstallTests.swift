import Foundation
import PrewarmArchive
import PrewarmLayers
import PrewarmSupport
import PrewarmTestKit
import Testing

/// `prewarm build --for-sam` puts each template layer into SAM's layer cache: as hard links on the same
/// file system, as a copy on another, the same content either way.
@Suite struct TemplateLayerInstallTests {
    /// A layer directory with a file, an executable, a relative link and an empty directory.
    static func writeLayer(at path: String) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: path + "/python", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: path + "/bin", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: path + "/empty", withIntermediateDirectories: true)
        try Data("VALUE = 1\n".utf8).write(to: URL(fileURLWithPath: path + "/python/lib.py"))
        try Data("#!/bin/sh\n".utf8).write(to: URL(fileURLWithPath: path + "/bin/tool"))
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path + "/bin/tool")
        try manager.createSymbolicLink(atPath: path + "/python/alias.py", withDestinationPath: "lib.py")
    }

    /// A layer written by ``writeLayer(at:)`` under `directory`, and a layer cache beside it (the same file
    /// system).
    static func layerAndCache(in directory: TemporaryDirectory) throws -> (source: String, store: LayerStore) {
        let source = directory.path + "/layers/Common"
        try writeLayer(at: source)
        return (source, LayerStore(baseDirectory: directory.path + "/cache"))
    }

    static func identity(_ path: String) throws -> (device: UInt64, inode: UInt64) {
        var status = stat()
        try #require(lstat(path, &status) == 0, "\(path): \(systemErrorMessage())")
        return (UInt64(status.st_dev), UInt64(status.st_ino))
    }

    @Test func onTheSameFileSystemTheFilesAreLinkedNotCopied() async throws {
        let directory = try TemporaryDirectory("prewarm-install")
        defer { directory.remove() }
        let (source, store) = try Self.layerAndCache(in: directory)

        let layer = try await store.install(templateLayer: source, named: "pw-Common-1")
        #expect(layer.contentDigest == (try ContentDigest.directory(source)))
        #expect(try Self.identity(layer.path + "/python/lib.py") == Self.identity(source + "/python/lib.py"))
        #expect(try Self.identity(layer.path + "/bin/tool") == Self.identity(source + "/bin/tool"))
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: layer.path + "/python/alias.py") == "lib.py")
        #expect(FileManager.default.fileExists(atPath: layer.path + "/empty"))

        // Removing the cache's entry leaves the source's files as they were.
        FileTree.remove(layer.path)
        #expect(try String(contentsOfFile: source + "/python/lib.py", encoding: .utf8) == "VALUE = 1\n")
        // And the next install puts it back, verified.
        let again = try await store.install(templateLayer: source, named: "pw-Common-1")
        #expect(again.contentDigest == layer.contentDigest)
    }

    @Test func onAnotherFileSystemTheFilesAreCopied() async throws {
        let directory = try TemporaryDirectory("prewarm-install")
        defer { directory.remove() }
        // /dev/shm is a tmpfs on Linux, apart from the temporary directory's file system.
        let other = "/dev/shm/prewarm-install-\(UUID().uuidString)"
        defer { FileTree.remove(other) }
        try Self.writeLayer(at: other + "/Common")
        try #require(try Self.identity(other).device != Self.identity(directory.path).device, "another file system")
        let store = LayerStore(baseDirectory: directory.path + "/cache")

        let layer = try await store.install(templateLayer: other + "/Common", named: "pw-Common-1")
        #expect(layer.contentDigest == (try ContentDigest.directory(other + "/Common")))
        #expect(try Self.identity(layer.path + "/python/lib.py").device == Self.identity(directory.path).device)
        #expect(try String(contentsOfFile: layer.path + "/python/lib.py", encoding: .utf8) == "VALUE = 1\n")
    }

    /// The digest a caller passes in saves hashing the source once more, and is still checked against what
    /// was installed: one that does not match the files installs nothing.
    @Test func aDigestGivenByTheCallerMustMatchTheFiles() async throws {
        let directory = try TemporaryDirectory("prewarm-install")
        defer { directory.remove() }
        let (source, store) = try Self.layerAndCache(in: directory)
        let digest = try ContentDigest.directory(source)

        let wrong = "sha256:" + String(repeating: "0", count: 64)
        let error = await #expect(throws: LayerStoreError.self) {
            _ = try await store.install(templateLayer: source, named: "pw-Common-1", digest: wrong)
        }
        #expect(error?.code == .invalidArchive, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: store.baseDirectory + "/pw-Common-1"))

        let layer = try await store.install(templateLayer: source, named: "pw-Common-1", digest: digest)
        #expect(layer.contentDigest == digest)
        #expect(try Self.identity(layer.path + "/python/lib.py") == Self.identity(source + "/python/lib.py"))
    }
}
