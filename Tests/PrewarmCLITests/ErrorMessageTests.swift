import Foundation
import PrewarmTestKit
import Testing

/// Errors a person can cause read as one line that says what, where and what to do.
@Suite struct ErrorMessageTests {
    @Test(arguments: [
        (["build", "--jobs", "0"], "prewarm build --help"),
        (["plan", "--format", "xml"], "prewarm plan --help"),
        (["--no-such-flag"], "prewarm --help"),
    ])
    func usageErrorsPointAtTheSubcommandsHelp(_ arguments: [String], _ help: String) async throws {
        let result = try await PrewarmExecutable.run(arguments)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("(see \(help))"), "\(result.stderr)")
    }

    /// A template in `app/` that nobody (uid 65534, as `setpriv` runs prewarm) can write into, and a
    /// directory `writable` that anyone can.
    static func readOnlyApp(_ label: String, writable: String) throws -> (TemporaryDirectory, template: String) {
        let directory = try TemporaryDirectory(label)
        chmod(directory.path, 0o755)
        let template = try directory.write(
            "app/template.yaml",
            """
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src/}
            """)
        try FileManager.default.createDirectory(
            atPath: directory.path + "/" + writable, withIntermediateDirectories: true)
        chmod(directory.path + "/" + writable, 0o777)
        chmod(directory.path + "/app", 0o555)
        chmod(template, 0o644)
        return (directory, template)
    }

    /// `--for-sam` with a template in a directory the user cannot write: the reason, and the option that
    /// writes the SAM configuration elsewhere, which then works.
    @Test func forSAMInAReadOnlyProjectSaysWhyAndWhereElse() async throws {
        let setpriv = try #require(CommandRunner.which("setpriv"), "util-linux's setpriv runs prewarm as nobody")
        let (directory, template) = try Self.readOnlyApp("prewarm-errors-sam", writable: "mine")
        defer { directory.remove() }
        func plan(_ extra: [String]) async throws -> CommandResult {
            try await CommandRunner.run(
                setpriv,
                [
                    "--reuid=65534", "--regid=65534", "--clear-groups", PrewarmExecutable.path, "build", template,
                    "--for-sam", "--engine", "oci", "--oci-store", directory.path + "/mine/store", "--journal",
                    directory.path + "/mine/journal.sqlite", "--layer-cache-basedir", directory.path + "/mine/layers",
                    "--function", "NoSuchFunction",
                ] + extra)
        }
        let refused = try await plan([])
        #expect(refused.status == 2, "\(refused.stderr)")
        let line = refused.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(line.contains("cannot create \(directory.path)/app/.prewarm"), "\(refused.stderr)")
        #expect(line.lowercased().contains("permission denied"), "\(refused.stderr)")
        #expect(line.contains("pass --sam-config-dir"), "\(refused.stderr)")
        let elsewhere = try await plan(["--sam-config-dir", directory.path + "/mine/sam"])
        #expect(
            FileManager.default.fileExists(atPath: directory.path + "/mine/sam/samconfig.toml"), "\(elsewhere.stderr)")
        #expect(elsewhere.stderr.contains("no such function"), "it got past the configuration: \(elsewhere.stderr)")
    }

    /// As an unprivileged user (root may write anywhere), a journal directory that cannot be made
    /// says permission denied, names the directory, and says what to do — not Foundation's
    /// `Error Domain=NSCocoaErrorDomain …`, not "No such file or directory".
    @Test func anUnwritableJournalDirectorySaysPermissionDenied() async throws {
        let setpriv = try #require(CommandRunner.which("setpriv"), "util-linux's setpriv runs prewarm as nobody")
        let (directory, template) = try Self.readOnlyApp("prewarm-errors", writable: "store")
        defer { directory.remove() }
        try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\n")
        let result = try await CommandRunner.run(
            setpriv,
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", PrewarmExecutable.path, "build", template,
                "--engine", "oci", "--oci-store", directory.path + "/store", "--rie-dir", directory.path + "/rie",
                "--layer-cache-basedir", directory.path + "/store/layers",
            ])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        let line = result.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(line.contains("permission denied") || line.contains("Permission denied"), "\(result.stderr)")
        #expect(line.contains(directory.path + "/app"), "\(result.stderr)")
        #expect(line.contains("--journal"), "\(result.stderr)")
        #expect(!result.stderr.contains("NSCocoaErrorDomain"), "\(result.stderr)")
        #expect(!result.stderr.contains("No such file"), "\(result.stderr)")
    }
}
