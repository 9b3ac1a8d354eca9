import PrewarmTemplate
import PrewarmTestKit
import Testing

@Suite struct TemplateDocumentTests {
    @Test func shortTagsBecomeLongForms() throws {
        let root = try TemplateDocument.parse(
            """
            A: !Ref Param
            B: !GetAtt Stack.Outputs.LayerArn
            C: !Sub "${AWS::Region}-x"
            D: !If [IsProd, a, b]
            E: !Condition IsProd
            F: !Join [",", [a, b]]
            """, file: "t.yaml")
        #expect(root["A"]?["Ref"]?.scalar == "Param")
        #expect(root["B"]?["Fn::GetAtt"]?.sequence?.map(\.scalar) == ["Stack", "Outputs.LayerArn"])
        #expect(root["C"]?["Fn::Sub"]?.scalar == "${AWS::Region}-x")
        #expect(root["D"]?["Fn::If"]?.sequence?.count == 3)
        #expect(root["E"]?["Condition"]?.scalar == "IsProd")
        #expect(root["F"]?["Fn::Join"]?.sequence?.first?.scalar == ",")
    }

    @Test func locationsAreOneBasedLinesAndColumns() throws {
        let root = try TemplateDocument.parse("a: 1\nb:\n  c: !Ref X\n", file: "t.yaml")
        let c = try #require(root["b"]?.mapping?.entry("c"))
        #expect(c.keyLocation == SourceLocation(file: "t.yaml", line: 3, column: 3))
        #expect(c.keyLocation.description == "t.yaml:3:3")
    }

    @Test func nullAndQuotedNullDiffer() throws {
        let root = try TemplateDocument.parse("a:\nb: ~\nc: 'null'\nd: \"\"\n", file: "t.yaml")
        #expect(root["a"]?.isNull == true)
        #expect(root["b"]?.isNull == true)
        #expect(root["c"]?.scalar == "null")
        #expect(root["d"]?.scalar == "")
    }

    @Test func jsonWithTabIndentationParses() throws {
        let root = try TemplateDocument.parse(
            "{\n\t\"Resources\": {\n\t\t\"A\": {\"Type\": \"T\"}\n\t}\n}\n", file: "t.json")
        #expect(root["Resources"]?["A"]?["Type"]?.scalar == "T")
        #expect(root["Resources"]?.mapping?.entry("A")?.keyLocation.line == 3)
    }

    @Test func syntaxErrorNamesFileLineAndColumn() {
        let error = #expect(throws: TemplateError.self) {
            try TemplateDocument.parse("Resources:\n  A: [unclosed\n  B: x\n", file: "bad.yaml")
        }
        #expect(error?.code == .syntax)
        #expect(error?.location?.file == "bad.yaml")
        #expect((error?.location?.line ?? 0) >= 2)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func duplicateKeysAreAnError() {
        let error = #expect(throws: TemplateError.self) {
            try TemplateDocument.parse("Resources:\n  A: 1\n  A: 2\n", file: "dup.yaml")
        }
        #expect(error?.message.contains("'A'") == true)
        // Where the duplicate is, and where the key it repeats is.
        #expect(error?.location?.line == 3 && error?.location?.column == 3, "\(String(describing: error))")
        #expect(error?.message.contains("first at line 2") == true, "\(String(describing: error))")
    }

    @Test func unknownTagIsAnError() {
        let error = #expect(throws: TemplateError.self) {
            try TemplateDocument.parse("A: !Reff X\n", file: "t.yaml")
        }
        #expect(error?.message.contains("!Reff") == true)
        #expect(error?.location?.line == 1)
    }

    @Test func aliasBombIsRefused() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            yaml +=
                "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
                + "]\n"
        }
        #expect(throws: TemplateError.self) { try TemplateDocument.parse(yaml, file: "bomb.yaml") }
    }

    @Test func missingFileAndDirectoryAreClearErrors() throws {
        let missing = #expect(throws: TemplateError.self) {
            try TemplateDocument.load(contentsOf: "/nonexistent/t.yaml")
        }
        #expect(missing?.code == .fileNotFound)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let isDirectory = #expect(throws: TemplateError.self) { try TemplateDocument.load(contentsOf: directory.path) }
        #expect(isDirectory?.code == .unreadable)
    }
}
