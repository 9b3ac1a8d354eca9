import Foundation
import PrewarmTestKit
import Testing

/// What a writer killed with SIGKILL leaves in the OCI store's `.tmp/`: `prewarm verify` lists it as a
/// leftover, not damage, and does not take a live write for one; the next build removes it.
@Suite struct OCIStoreLeftoverTests {
    /// Every `.partial` file under `directory`.
    func partialFiles(_ directory: String) -> [String] {
        tree(directory).filter { $0.hasSuffix(".partial") }
    }

    @Test func aKilledWritersFilesAreLeftoversThatTheNextBuildRemoves() async throws {
        let directory = try TemporaryDirectory("prewarm-oci-leftover")
        defer { directory.remove() }
        let template = try OCITest.quickstart(in: directory)
        let store = directory.path + "/store"
        let build = ["build", template, "--engine", "oci", "--oci-store", store]
        let first = try await OCITest.prewarm(build, home: directory)
        try #require(first.status == 0, "\(first.stderr)")

        // A writer streaming a blob into the store, as a build does, until it is killed.
        let writerPath = try #require(
            Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("OCIStoreWriter").path)
        try #require(FileManager.default.isExecutableFile(atPath: writerPath), "OCIStoreWriter is not built")
        let output = try directory.write("writer.out", "")
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: writerPath)
        writer.arguments = [store, "blob"]
        writer.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        defer { if writer.isRunning { kill(writer.processIdentifier, SIGKILL) } }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, writer.isRunning,
            (try? String(contentsOfFile: output, encoding: .utf8))?.contains("writing") != true
        {
            try await Task.sleep(for: .milliseconds(10))
        }
        try #require(writer.isRunning, "the writer is writing")
        #expect(partialFiles(store + "/.tmp").count == 1)

        // A write under way is neither damage nor a leftover.
        let during = try await OCITest.prewarm(["verify", "--oci-store", store], home: directory)
        #expect(during.status == 0, "\(during.stdout)\(during.stderr)")
        #expect(!during.stdout.contains("left by"), "\(during.stdout)")

        kill(writer.processIdentifier, SIGKILL)
        writer.waitUntilExit()
        let left = partialFiles(store + "/.tmp")
        #expect(left.count == 1, "the killed write's file is still there")
        let check = try await OCITest.prewarm(["verify", "--oci-store", store], home: directory)
        #expect(check.status == 0, "a leftover is no damage: \(check.stdout)\(check.stderr)")
        #expect(check.stderr.isEmpty, "\(check.stderr)")
        let lines = check.stdout.split(separator: "\n").map(String.init)
        let area = try #require(left.first.map { store + "/.tmp/" + ($0 as NSString).deletingLastPathComponent })
        #expect(lines.contains("\(area): left by a killed write; the next build removes it"), "\(lines)")
        #expect(lines.last?.hasSuffix("the OCI store at \(store) is whole") == true, "\(lines)")
        #expect(partialFiles(store + "/.tmp") == left, "verify without --repair removes nothing")

        let again = try await OCITest.prewarm(build, home: directory)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(partialFiles(store + "/.tmp").isEmpty, "the build removed the leftover")
        #expect(!FileManager.default.fileExists(atPath: area))
        let after = try await OCITest.prewarm(["verify", "--oci-store", store], home: directory)
        #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
        #expect(!after.stdout.contains("left by"), "\(after.stdout)")
    }
}
