import Foundation
import PrewarmSupport
import PrewarmTestKit
import Testing

/// The scratch directories of build sessions: a live process's is kept, a dead one's is removed.
@Suite struct ScratchDirectoryTests {
    @Test func removesOnlyTheDirectoriesWhoseOwnerIsGone() throws {
        let parent = try TemporaryDirectory("prewarm-scratch")
        defer { parent.remove() }

        let live = try ScratchDirectory(in: parent.path)
        defer { live.remove() }
        try Data("layer".utf8).write(to: URL(fileURLWithPath: live.path + "/layer.tar"))
        // What a process killed with SIGKILL leaves: its lock is gone with it, its files stay.
        let deadName = "prewarm-\(UUID().uuidString)"
        try parent.write(deadName + "/layer.tar", "layer")
        try parent.write(deadName + "/.owner", "")
        let dead = parent.path + "/" + deadName
        // Left alone: one being made, one without an owner file, and a link to a directory elsewhere.
        let making = try parent.write("prewarm-\(UUID().uuidString).new/.owner", "")
        let ownerless = try parent.write("prewarm-\(UUID().uuidString)/file", "x")
        let elsewhere = try TemporaryDirectory("prewarm-elsewhere")
        defer { elsewhere.remove() }
        try elsewhere.write(".owner", "")
        let link = parent.path + "/prewarm-\(UUID().uuidString)"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: elsewhere.path)

        let removed = ScratchDirectory.removeAbandoned(in: parent.path)
        #expect(removed == [dead])
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: live.path + "/layer.tar"))
        #expect(FileManager.default.fileExists(atPath: making))
        #expect(FileManager.default.fileExists(atPath: ownerless))
        #expect(FileManager.default.fileExists(atPath: elsewhere.path + "/.owner"))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == elsewhere.path)

        live.remove()
        #expect(!FileManager.default.fileExists(atPath: live.path))
    }
}
