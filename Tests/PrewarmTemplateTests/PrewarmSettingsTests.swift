import PrewarmTemplate
import PrewarmTestKit
import Testing

@Suite struct PrewarmSettingsTests {
    func load(_ text: String) async throws -> (Template, String) {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("app/template.yaml", text)
        return (try await TemplateLoader().load("\(directory.path)/app/template.yaml"), directory.path)
    }

    @Test func pathsAreRelativeToTheTemplate() async throws {
        let (template, root) = try await load(
            """
            Metadata:
              Prewarm: {BaseImages: bases/, EmulatorDirectory: ../shared/rie}
            Resources: {}
            """)
        #expect(template.settings.baseImages == "\(root)/app/bases")
        #expect(template.settings.emulatorDirectory == "\(root)/shared/rie")
    }

    @Test func aTemplateWithoutThemHasNone() async throws {
        let (template, _) = try await load("Metadata: {Other: 1}\nResources: {}\n")
        #expect(template.settings == PrewarmSettings())
    }

    @Test(arguments: [
        ("Metadata: {Prewarm: [a]}\nResources: {}\n", "must be a mapping", 1),
        ("Metadata:\n  Prewarm: {BaseImage: x}\nResources: {}\n", "has no setting BaseImage", 2),
        ("Metadata:\n  Prewarm:\n    EmulatorDirectory: [x]\nResources: {}\n", "must be a path", 3),
    ])
    func mistakesAreLocatedErrors(_ text: String, _ message: String, _ line: Int) async throws {
        let error = await #expect(throws: TemplateError.self) { _ = try await load(text) }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
        #expect(error?.location?.line == line)
    }
}
