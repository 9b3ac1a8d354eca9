import Foundation
import PrewarmImage
import PrewarmPlan
import PrewarmTemplate
import PrewarmTestKit
import Testing

/// The README's "Use as a library" example is `examples/library/main.swift`, byte for byte, and
/// that program, built with the package, pre-warms the quickstart.
@Suite struct LibraryExampleTests {
    static let repository = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The first ```swift block after the "Use as a library" heading of README.md.
    static func readmeExample() throws -> String {
        let readme = try String(contentsOfFile: repository + "/README.md", encoding: .utf8)
        let section = try #require(readme.range(of: "## Use as a library"))
        let rest = readme[section.upperBound...]
        let open = try #require(rest.range(of: "```swift\n"))
        let close = try #require(rest[open.upperBound...].range(of: "\n```\n"))
        return String(rest[open.upperBound..<close.lowerBound]) + "\n"
    }

    @Test func theREADMEShowsTheExampleThatIsBuilt() throws {
        let source = try String(
            contentsOfFile: Self.repository + "/examples/library/main.swift", encoding: .utf8)
        #expect(try Self.readmeExample() == source)
        #expect(source.split(separator: "\n").count <= 15, "a few lines")
    }

    /// Runs the built example where the README says to (a directory holding examples/quickstart), with no
    /// Docker engine: the quickstart's three images end up in the OCI store beside it (it brings its own
    /// stand-in bases and emulator), not in the default one under `$XDG_CACHE_HOME`.
    @Test func theExamplePrewarmsTheQuickstart() async throws {
        let directory = try TemporaryDirectory("prewarm-library-example")
        defer { directory.remove() }
        try FileManager.default.createDirectory(
            atPath: directory.path + "/examples", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Self.repository + "/examples/quickstart", toPath: directory.path + "/examples/quickstart")
        let executable = try #require(Self.builtExample())
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory.path
        environment["XDG_CACHE_HOME"] = directory.path + "/cache"
        environment["DOCKER_HOST"] = "unix:///nonexistent.sock"
        let result = try await CommandRunner.run(executable, [], in: directory.path, environment: environment)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let project = directory.path + "/examples/quickstart/.prewarm/oci"
        #expect(result.stdout.contains("3 image(s) in \(project)"), "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/cache/prewarm/oci"))

        let template = try await TemplateLoader().load(directory.path + "/examples/quickstart/template.yaml")
        let images = Set(try Planner().plan(template).functions.map(\.image))
        #expect(images.count == 3)
        let store = try OCIStore(path: project)
        defer { store.close() }
        for image in images {
            #expect(try await store.image(named: image) != nil, "\(image) is in the store")
        }
    }

    /// `LibraryExample`, built by SwiftPM next to the test bundle.
    static func builtExample() -> String? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("LibraryExample").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }
}
