import Foundation
import PrewarmTemplate
import PrewarmTestKit
import Testing

@Suite struct SAMReadyTemplateTests {
    static let arns = [
        "DirLayer": "arn:aws:lambda:us-east-1:123456789012:layer:pw-DirLayer-aaaaaaaaaaaa:1",
        "ZipLayer": "arn:aws:lambda:us-east-1:123456789012:layer:pw-ZipLayer-bbbbbbbbbbbb:1",
    ]

    @Test func templateLayersBecomeARNsAndPathsAbsolute() async throws {
        let path = Fixtures.path("sam-local/template.yaml")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let derived = try SAMReadyTemplate.derive(
            text, path: path, stackPath: [], layerARNs: Self.arns, childTemplate: { "/derived/stacks/\($0).yaml" },
            header: ["Generated.", "Rewritten by every build."])
        #expect(derived.text.hasPrefix("# Generated.\n# Rewritten by every build.\n"))
        #expect(derived.children.map(\.logicalID) == ["Child"])
        #expect(derived.children.first?.source == Fixtures.path("sam-local/child/template.yaml"))
        #expect(derived.warnings.isEmpty)

        // Read back as prewarm (and SAM) read templates: the layers are ARNs now, in the same order.
        let node = try TemplateDocument.parse(derived.text, file: "derived.yaml")
        let resources = try #require(node["Resources"])
        func layers(_ function: String) -> [String] {
            resources[function]?["Properties"]?["Layers"]?.sequence?.compactMap(\.scalar) ?? []
        }
        #expect(layers("DirLayerFunction") == [Self.arns["DirLayer"]])
        #expect(layers("ZipAndDirLayers") == [Self.arns["ZipLayer"], Self.arns["DirLayer"]])
        #expect(layers("ArnLayer") == ["arn:aws:lambda:us-east-1:123456789012:layer:sam-cached:7"])
        // ProvidedLayer had no ARN to take: the Ref stays.
        #expect(resources["Provided"]?["Properties"]?["Layers"]?.sequence?.first?["Ref"]?.scalar == "ProvidedLayer")
        #expect(
            resources["Plain"]?["Properties"]?["CodeUri"]?.scalar == Fixtures.path("sam-local/src/plain") + "/")
        #expect(
            resources["ZipLayer"]?["Properties"]?["ContentUri"]?.scalar == Fixtures.path("sam-local/layers/zip.zip"))
        #expect(resources["Child"]?["Properties"]?["Location"]?.scalar == "/derived/stacks/Child.yaml")
        // Short tags survive as long forms, which every YAML emitter keeps.
        #expect(
            node["Globals"]?["Function"]?["Environment"]?["Variables"]?["GREETING"]?["Ref"]?.scalar == "Greeting")
        #expect(resources["ImageFunction"]?["Properties"]?["ImageUri"]?["Ref"]?.scalar == "ImageUri")
    }

    @Test func nestedStackLayersAreKeyedByQualifiedName() throws {
        let path = Fixtures.path("sam-local/child/template.yaml")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let arn = "arn:aws:lambda:us-east-1:123456789012:layer:pw-Child-ChildLayer-cccccccccccc:1"
        let derived = try SAMReadyTemplate.derive(
            text, path: path, stackPath: ["Child"], layerARNs: ["ChildLayer": "wrong", "Child/ChildLayer": arn],
            childTemplate: { $0 }, header: [])
        let node = try TemplateDocument.parse(derived.text, file: "derived.yaml")
        #expect(node["Resources"]?["ChildFunction"]?["Properties"]?["Layers"]?.sequence?.first?.scalar == arn)
    }
}
