import Foundation
import PrewarmTestKit
import Testing

/// Daily use after a build of the quickstart into an OCI store of the test's own (no engine, no network):
/// `status` with a template, `runs` with the engine, one line about what sam local builds anyway, and
/// `gc --dry-run` on the OCI store.
@Suite struct DailyUseBuildTests {
    /// Builds a copy of the quickstart into `directory/store`; returns the template's path.
    func builtQuickstart(in directory: TemporaryDirectory) async throws -> (template: String, result: CommandResult) {
        let template = try OCITest.quickstart(in: directory)
        let result = try await OCITest.prewarm(
            ["build", template, "--engine", "oci", "--oci-store", directory.path + "/store"],
            home: directory)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        return (template, result)
    }

    @Test func statusTakesATemplateAndStillARunNumber() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (template, _) = try await builtQuickstart(in: directory)
        let project = URL(fileURLWithPath: template).deletingLastPathComponent().path
        for arguments in [[template], ["1", template], [template, "1"], ["template.yaml"]] {
            let status = try await CommandRunner.run(PrewarmExecutable.path, ["status"] + arguments, in: project)
            #expect(status.status == 0, "\(arguments): \(status.stderr)")
            #expect(status.stdout.hasPrefix("run 1: succeeded"), "\(arguments): \(status.stdout)")
        }
        let none = try await PrewarmExecutable.run(["status", "7", template])
        #expect(none.status == 2)
        #expect(none.stderr.contains("no run 7"), "\(none.stderr)")
        let missing = try await PrewarmExecutable.run(["status", directory.path + "/other.yaml"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no journal at"), "\(missing.stderr)")
    }

    @Test func runsShowsWhichEngineEachRunUsed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (template, _) = try await builtQuickstart(in: directory)
        let runs = try await PrewarmExecutable.run(["runs", template])
        #expect(runs.status == 0, "\(runs.stderr)")
        let lines = runs.stdout.split(separator: "\n")
        #expect(lines.first?.contains("ENGINE") == true, "\(runs.stdout)")
        #expect(lines.count == 2 && lines[1].contains("oci store at \(directory.path)/store"), "\(runs.stdout)")
        let json = try await PrewarmExecutable.run(["runs", template, "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect((object?.first?["engine"] as? String)?.hasPrefix("oci store at ") == true, "\(json.stdout)")
    }

    @Test func whatSAMBuildsOnEveryInvokeIsOneLine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (template, build) = try await builtQuickstart(in: directory)
        let notices = build.stderr.split(separator: "\n").filter { $0.contains("builds the image on every invoke") }
        #expect(notices.count == 1, "\(build.stderr)")
        #expect(notices.first?.contains("2 functions") == true, "\(build.stderr)")
        #expect(notices.first?.contains("--for-sam") == true, "\(build.stderr)")

        let plan = try await PrewarmExecutable.run(["plan", template])
        #expect(plan.status == 0, "\(plan.stderr)")
        let lines = plan.stdout.split(separator: "\n").filter { $0.contains("on every invoke") }
        #expect(lines.count == 1, "\(plan.stdout)")
        #expect(lines.first?.contains("2 functions") == true && lines.first?.contains("Hello, HelloArm") == true)
        #expect(lines.first?.contains("--for-sam") == true, "\(plan.stdout)")
    }

    /// The missing directory is said once, at the line of the user's template, also with --for-sam (which
    /// plans a derived template).
    @Test func aMissingCodeDirectoryIsSaidOnceByABuildForSAM() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let template = try OCITest.quickstart(in: directory)
        let project = URL(fileURLWithPath: template).deletingLastPathComponent().path
        try FileManager.default.removeItem(atPath: project + "/src/report")
        let result = try await OCITest.prewarm(
            ["build", template, "--engine", "oci", "--oci-store", directory.path + "/store", "--for-sam"],
            home: directory)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("does not exist") }
        #expect(warnings.count == 1, "\(result.stderr)")
        #expect(warnings.first?.contains("\(template):") == true, "\(result.stderr)")
        #expect(warnings.first?.contains("Report: CodeUri src/report/") == true, "\(result.stderr)")
    }

    @Test func gcDryRunOnTheOCIStoreListsAndRemovesNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try await builtQuickstart(in: directory)
        let store = directory.path + "/store"
        // A blob no image names, as a build that was replaced leaves one.
        let digest = String(repeating: "ab", count: 32)
        let blob = try directory.write("store/blobs/sha256/\(digest)", "no image needs this\n")
        let blobs = try FileManager.default.contentsOfDirectory(atPath: store + "/blobs/sha256").sorted()

        let dry = try await OCITest.prewarm(
            ["gc", "--oci-store", store, "--grace-period", "0", "--dry-run"], home: directory)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would remove blob sha256:\(digest)"), "\(dry.stdout)")
        #expect(dry.stdout.contains("would remove 1 blob(s), 20 bytes"), "\(dry.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: store + "/blobs/sha256").sorted() == blobs)

        let gc = try await OCITest.prewarm(["gc", "--oci-store", store, "--grace-period", "0"], home: directory)
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(gc.stdout.contains("removed 1 blob(s), 20 bytes"), "\(gc.stdout)")
        #expect(!FileManager.default.fileExists(atPath: blob))
    }
}
