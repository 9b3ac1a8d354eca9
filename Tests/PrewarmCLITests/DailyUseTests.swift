import Foundation
import PrewarmTestKit
import Testing

/// Daily use, without an engine: flags as people type them, help that lists only what a command takes,
/// and templates that say what is wrong with them where it is.
@Suite struct DailyUseTests {
    @Test func jobsIsAlsoSpelledJAsMakeAndCargoSpellIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let template = try directory.write("template.yaml", "Resources: {}\n")
        for command in ["build", "watch"] {
            let result = try await PrewarmExecutable.run([command, template, "-j", "0"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("--jobs must be at least 1"), "\(command): \(result.stderr)")
            let help = try await PrewarmExecutable.run([command, "--help"])
            #expect(help.stdout.contains("-j, --jobs"), "\(command): \(help.stdout)")
        }
    }

    @Test func runsStatusAndDoctorListOnlyTheFormatsTheyTake() async throws {
        for command in ["runs", "status", "doctor"] {
            let help = try await PrewarmExecutable.run([command, "--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("--format"), "\(command)")
            #expect(!help.stdout.contains("dot"), "\(command): \(help.stdout)")
        }
        let plan = try await PrewarmExecutable.run(["plan", "--help"])
        #expect(plan.stdout.contains("dot"))
    }

    @Test func aTemplateWithNoFunctionsSaysThereIsNothingToBuild() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let template = try directory.write(
            "template.yaml",
            """
            Resources:
              Bucket:
                Type: AWS::S3::Bucket
            """)
        for command in ["plan", "build"] {
            var arguments = [command, template]
            if command == "build" { arguments += ["--engine", "oci", "--oci-store", directory.path + "/store"] }
            let result = try await PrewarmExecutable.run(arguments)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(
                (result.stdout + result.stderr).contains("no functions: nothing to build"),
                "\(command): \(result.stdout)\(result.stderr)")
        }
    }

    @Test func aDuplicateKeyIsReportedWhereTheDuplicateIs() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let template = try directory.write(
            "template.yaml",
            """
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  Runtime: python3.12
                  Handler: app.handler
                  Runtime: python3.13
            """)
        let result = try await PrewarmExecutable.run(["plan", template])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(template):7:7:"), "\(result.stderr)")
        #expect(result.stderr.contains("'Runtime'"), "\(result.stderr)")
        #expect(result.stderr.contains("line 5"), "the first one is named too: \(result.stderr)")
    }

    @Test func aMissingCodeDirectoryIsSaidOnceNamingTheFunctionAndThePath() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("src/here/app.py", "def handler(e, c): return 1\n")
        let template = try directory.write(
            "template.yaml",
            """
            Globals:
              Function: {Runtime: python3.12, Handler: app.handler}
            Resources:
              Here:
                Type: AWS::Serverless::Function
                Properties: {CodeUri: src/here/}
              Gone:
                Type: AWS::Serverless::Function
                Properties: {CodeUri: src/gone/, Architectures: [x86_64]}
              InS3:
                Type: AWS::Serverless::Function
                Properties: {CodeUri: "s3://bucket/code.zip"}
              Image:
                Type: AWS::Serverless::Function
                Properties: {PackageType: Image, ImageUri: "app:v1"}
            """)
        let result = try await PrewarmExecutable.run(["plan", template, "--arch", "x86_64,arm64"])
        #expect(result.status == 0, "\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.contains("does not exist") }
        #expect(warnings.count == 1, "\(result.stderr)")
        #expect(warnings.first?.contains("Gone") == true && warnings.first?.contains("src/gone") == true)
        #expect(!result.stderr.contains("Here:") && !result.stderr.contains("InS3:"), "\(result.stderr)")
    }

    @Test func everyUnsetParameterIsNamedAsAFlag() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let template = try directory.write(
            "template.yaml",
            """
            Parameters:
              Rt: {Type: String}
              Arch: {Type: String}
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  Runtime: !Ref Rt
                  Handler: app.handler
                  Architectures: [!Ref Arch]
            """)
        let result = try await PrewarmExecutable.run([
            "build", template, "--engine", "oci", "--oci-store", directory.path + "/store", "--progress", "plain",
        ])
        #expect(result.status != 0)
        let output = result.stdout + result.stderr
        #expect(!output.contains("`parameterOverrides`"), "\(output)")
        let table = result.stdout.split(separator: "\n").filter { $0.hasPrefix("Fn ") }
        #expect(table.count == 1, "\(result.stdout)")
        #expect(table.first?.contains("--parameter-overrides") == true, "\(result.stdout)")
        #expect(table.first?.contains("Rt") == true && table.first?.contains("Arch") == true, "\(result.stdout)")
    }
}
