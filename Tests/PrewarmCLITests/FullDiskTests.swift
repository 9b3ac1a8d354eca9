import Foundation
import PrewarmTestKit
import Testing

/// A full disk (the OCI store on a 3 MB tmpfs, as root may mount): one error line, not one per
/// image; the store stays whole; with room made, `--resume` finishes the build.
@Suite(.serialized) struct FullDiskTests {
    static func mount(_ arguments: [String]) async throws -> CommandResult {
        let mount = try #require(CommandRunner.which(arguments.first == "umount" ? "umount" : "mount"))
        return try await CommandRunner.run(mount, Array(arguments.dropFirst()))
    }

    @Test func aFullDiskIsOneLineAndResumable() async throws {
        let directory = try TemporaryDirectory("prewarm-full-disk")
        defer { directory.remove() }
        let source = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/quickstart").path
        try FileManager.default.copyItem(atPath: source, toPath: directory.path + "/app")
        var template = try String(contentsOfFile: directory.path + "/app/template.yaml", encoding: .utf8)
        template =
            String(template[..<(template.range(of: "Resources:")?.lowerBound ?? template.endIndex)]) + "Resources:\n"
        for index in 0..<12 {
            let blob = (0..<700_000).map { _ in UInt8.random(in: 0...255) }
            try FileManager.default.createDirectory(
                atPath: directory.path + "/app/layers/l\(index)", withIntermediateDirectories: true)
            FileManager.default.createFile(
                atPath: directory.path + "/app/layers/l\(index)/blob.bin", contents: Data(blob))
            template +=
                "  L\(index):\n    Type: AWS::Serverless::LayerVersion\n    Properties: {ContentUri: layers/l\(index)/}\n"
            template += "  F\(index):\n    Type: AWS::Serverless::Function\n"
            template += "    Properties: {CodeUri: src/hello/, Layers: [!Ref L\(index)]}\n"
        }
        try directory.write("app/template.yaml", template)
        let disk = directory.path + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let mounted = try await Self.mount(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", disk])
        try #require(mounted.status == 0, "mounting a tmpfs needs root: \(mounted.stderr)")
        defer { _ = Task { _ = try? await Self.mount(["umount", disk]) } }

        let build = [
            "build", directory.path + "/app/template.yaml", "--engine", "oci", "--oci-store", disk + "/store",
            "--journal", directory.path + "/journal.sqlite",
        ]
        let full = try await PrewarmExecutable.run(build)
        #expect(full.status == 1, "\(full.stderr)")
        let errors = full.stderr.split(separator: "\n").filter { $0.hasPrefix("prewarm: error:") }
        #expect(errors.count == 1, "one line, not one per image:\n\(full.stderr)")
        #expect(errors.first?.contains("No space left on device") == true, "\(full.stderr)")
        #expect(errors.first?.contains("prewarm build --resume") == true, "\(full.stderr)")
        let verify = try await PrewarmExecutable.run(["verify", "--oci-store", disk + "/store"])
        #expect(verify.status == 0, "the store stays whole: \(verify.stdout)\(verify.stderr)")

        let grown = try await Self.mount(["mount", "-o", "remount,size=40m", disk])
        try #require(grown.status == 0, "\(grown.stderr)")
        let resumed = try await PrewarmExecutable.run(build + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let after = try await PrewarmExecutable.run(["verify", "--oci-store", disk + "/store"])
        #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
        _ = try await Self.mount(["umount", disk])
    }
}
