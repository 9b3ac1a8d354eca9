import PrewarmTemplate
import Testing

@Suite struct ParameterOverridesTests {
    @Test func keyValuePairs() throws {
        let overrides = try ParameterOverrides(parsing: ["Stage=prod Version=3", "Name=\"a b\" Other='c d'"])
        #expect(overrides["Stage"] == "prod")
        #expect(overrides["Version"] == "3")
        #expect(overrides["Name"] == "a b")
        #expect(overrides["Other"] == "c d")
    }

    @Test func parameterKeyForm() throws {
        let overrides = try ParameterOverrides(
            parsing: ["ParameterKey=Stage,ParameterValue=prod ParameterKey=List,ParameterValue=a,b"])
        #expect(overrides["Stage"] == "prod")
        #expect(overrides["List"] == "a,b")
    }

    @Test func valuesMayHoldEqualsSignsAndLaterValuesWin() throws {
        let overrides = try ParameterOverrides(parsing: ["Query=a=b", "Query=c"])
        #expect(overrides["Query"] == "c")
        #expect(overrides.names == ["Query"])
    }

    @Test(arguments: ["JustAWord", "=value", "Key=\"unterminated", "ParameterKey=K ParameterValue=V"])
    func malformedInputIsAnError(_ argument: String) {
        let error = #expect(throws: TemplateError.self) { try ParameterOverrides(parsing: [argument]) }
        #expect(error?.code == .parameter)
        #expect(error?.description.contains("`parameterOverrides`") == true)  // the flag: SettingFlagsTests
    }
}
