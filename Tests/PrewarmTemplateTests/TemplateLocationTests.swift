import Foundation
import PrewarmTemplate
import PrewarmTestKit
import Testing

/// The template is found as SAM CLI 1.170's local commands find theirs: given, else SAM_TEMPLATE_FILE,
/// else samconfig's template_file, else .aws-sam/build/template.yaml, template.yaml, template.yml,
/// template.json.
@Suite struct TemplateLocationTests {
    static let template = "Resources: {}\n"

    @Test func theBuiltTemplateComesFirst() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("template.yaml", Self.template)
        try directory.write("template.yml", Self.template)
        let source = try TemplateLocation.find(given: nil, in: directory.path)
        #expect(source.path == directory.path + "/template.yaml")
        #expect(source.origin == .found && !source.isBuilt)

        try directory.write(".aws-sam/build/template.yaml", Self.template)
        let built = try TemplateLocation.find(given: nil, in: directory.path)
        #expect(built.path == directory.path + "/.aws-sam/build/template.yaml")
        #expect(built.isBuilt)
        #expect(built.reason.contains("sam build"), "\(built.reason)")
        #expect(built.builtBesideNote == nil)
    }

    @Test(arguments: [["template.yml"], ["template.json"], ["template.yml", "template.json"]])
    func theOtherNamesInSAMsOrder(_ names: [String]) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for name in names { try directory.write(name, Self.template) }
        #expect(try TemplateLocation.find(given: nil, in: directory.path).path == directory.path + "/" + names[0])
    }

    @Test func nothingToFindSaysWhatWasLookedFor() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let error = #expect(throws: TemplateError.self) { try TemplateLocation.find(given: nil, in: directory.path) }
        #expect(error?.code == .fileNotFound)
        #expect(error?.description.contains(".aws-sam/build/template.yaml, template.yaml") == true)
        #expect(error?.description.contains("sam build") == true)
    }

    @Test func givenThenEnvironmentThenSAMConfigThenTheDefaults() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(".aws-sam/build/template.yaml", Self.template)
        let environment = [TemplateLocation.environmentVariable: "env.yaml"]
        let config = (value: "config.yaml", path: "samconfig.toml")
        let given = try TemplateLocation.find(
            given: "given.yaml", environment: environment, samConfig: config, in: directory.path)
        #expect(given.path == "given.yaml" && given.origin == .given)
        let fromEnvironment = try TemplateLocation.find(
            given: nil, environment: environment, samConfig: config, in: directory.path)
        #expect(fromEnvironment.path == "env.yaml" && fromEnvironment.origin == .environment)
        #expect(fromEnvironment.reason.contains("SAM_TEMPLATE_FILE"))
        let fromConfig = try TemplateLocation.find(
            given: nil, environment: [TemplateLocation.environmentVariable: ""], samConfig: config, in: directory.path)
        #expect(fromConfig.path == "config.yaml" && fromConfig.origin == .samConfig("samconfig.toml"))
        let found = try TemplateLocation.find(given: nil, environment: [:], in: directory.path)
        #expect(found.isBuilt)
    }

    @Test func aSourceTemplateNamedBesideABuildSaysWhichOneSAMRuns() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let source = try directory.write("app/template.yaml", Self.template)
        let withoutBuild = try TemplateLocation.find(given: source)
        #expect(withoutBuild.builtBesideNote == nil)
        let built = try directory.write("app/.aws-sam/build/template.yaml", Self.template)
        let named = try TemplateLocation.find(given: source)
        let note = try #require(named.builtBesideNote)
        #expect(note.contains("-t \(built)"), "\(note)")
        #expect(try TemplateLocation.find(given: built).builtBesideNote == nil, "the built one is what sam local runs")
    }

    @Test func aBuiltTemplateBelongsToTheProjectThatHoldsAwsSam() {
        #expect(TemplateLocation.projectDirectory(of: "/p/q/.aws-sam/build/template.yaml") == "/p/q")
        #expect(TemplateLocation.projectDirectory(of: "/p/q/.aws-sam/build/Child/template.yaml") == "/p/q")
        #expect(TemplateLocation.projectDirectory(of: "/p/q/template.yaml") == "/p/q")
        #expect(TemplateLocation.isBuilt("/p/.aws-sam/build/Child/template.yaml"))
        #expect(!TemplateLocation.isBuilt("/p/.aws-sam/template.yaml"))
    }

    /// `sam build` copies the root Metadata as it is: its relative paths were written for the project.
    @Test func prewarmSettingsOfABuiltTemplateAreTheProjects() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("bases/oci-layout", "{}")
        try directory.write(".aws-sam/build/here/x", "")
        let built = try directory.write(
            ".aws-sam/build/template.yaml",
            "Metadata:\n  Prewarm: {BaseImages: bases, EmulatorDirectory: here}\nResources: {}\n")
        let template = try await TemplateLoader().load(built)
        #expect(template.settings.baseImages == directory.path + "/bases")
        #expect(template.settings.emulatorDirectory == directory.path + "/.aws-sam/build/here", "found beside it first")
    }

    @Test func resourcesWithABuildMethodAreListed() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "child.yaml",
            """
            Resources:
              Deps:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: deps/}
                Metadata: {BuildMethod: python3.11}
            """)
        let path = try directory.write(
            "template.yaml",
            """
            Resources:
              Made:
                Type: AWS::Serverless::Function
                Properties: {CodeUri: made/, Runtime: python3.11, Handler: app.handler}
                Metadata: {BuildMethod: makefile}
              Plain:
                Type: AWS::Serverless::Function
                Properties: {CodeUri: plain/, Runtime: python3.11, Handler: app.handler}
              Child:
                Type: AWS::Serverless::Application
                Properties: {Location: child.yaml}
            """)
        let template = try await TemplateLoader().load(path)
        #expect(template.resourcesWithBuildMethod == ["Made", "Child/Deps"])
    }
}

/// A template whose code is not there at all gets a few lines and a count, not a line per function.
@Suite struct MissingCodeWarningTests {
    @Test func manyMissingCodeDirectoriesAreCounted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var yaml = "Globals:\n  Function: {Runtime: python3.12, Handler: app.handler}\nResources:\n"
        for index in 0..<8 {
            yaml += "  Fn\(index):\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src/f\(index)/}\n"
        }
        try directory.write("src/f0/app.py", "")
        let template = try await TemplateLoader().load(try directory.write("template.yaml", yaml))
        let missing = template.warnings.filter { $0.code == .missingCode }
        #expect(missing.count == 6, "\(missing.map(\.description))")
        #expect(missing.prefix(5).allSatisfy { $0.message.contains("does not exist") })
        #expect(missing.prefix(5).map { $0.message.prefix(4) } == ["Fn1:", "Fn2:", "Fn3:", "Fn4:", "Fn5:"])
        #expect(missing.last?.message == "and 2 more function(s) whose code does not exist")

        let few = try await TemplateLoader().load(
            try directory.write("few.yaml", yaml.components(separatedBy: "  Fn3:")[0]))
        #expect(few.warnings.filter { $0.code == .missingCode }.count == 2, "Fn1 and Fn2, each")
    }
}
