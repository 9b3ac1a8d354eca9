import Foundation
import PrewarmSAMConfig
import Testing

@Suite struct SAMConfigTests {
    static let text = """
        version = 0.1

        [default.global.parameters]
        parameter_overrides = "Stage=dev Greeting=hi"
        layer_cache_basedir = "/tmp/layers"

        [default.local_invoke.parameters]
        skip_pull_image = true
        invoke_image = ["Fn=img:1", "img:2"]

        [default.local_start_api.parameters]
        parameter_overrides = "Stage=api"

        [prod.local_invoke.parameters]
        template_file = "prod.yaml"
        parameter_overrides = ["Stage=prod", "Greeting=hello"]
        """

    @Test func commandParametersWinOverGlobal() throws {
        let config = try SAMConfig(parsing: Self.text, path: "samconfig.toml")
        let settings = SAMLocalSettings(config)
        #expect(settings.parameterOverrides == ["Stage=dev Greeting=hi"])
        #expect(settings.invokeImages == ["Fn=img:1", "img:2"])
        #expect(settings.skipPullImage == true)
        #expect(settings.layerCacheBasedir == "/tmp/layers")
        #expect(settings.templateFile == nil)
        // start-api names other parameters: one build cannot match both, and prewarm says so.
        #expect(
            settings.disagreements == [
                "parameter_overrides (local_start_api)", "invoke_image (local_start_api)",
                "invoke_image (local_start_lambda)",
            ])
    }

    @Test func anotherEnvironment() throws {
        let config = try SAMConfig(parsing: Self.text, path: "samconfig.toml")
        let settings = SAMLocalSettings(config, environment: "prod")
        #expect(settings.templateFile == "prod.yaml")
        #expect(settings.parameterOverrides == ["Stage=prod", "Greeting=hello"])
        #expect(settings.skipPullImage == nil)
        #expect(config.hasEnvironment("prod"))
        #expect(!config.hasEnvironment("staging"))
    }

    @Test func syntaxErrorNamesTheLine() {
        #expect {
            _ = try SAMConfig(parsing: "version = 0.1\n[default.local_invoke\n", path: "bad.toml")
        } throws: { error in
            guard let error = error as? SAMConfigError else { return false }
            return error.code == .syntax && error.message.hasPrefix("bad.toml:2:")
        }
    }

    @Test func writtenConfigurationReadsBack() throws {
        let text = SAMConfig.render(
            header: ["Generated.", "Rewritten by every build."],
            parameters: [
                "template_file": .string("/a/b/template.yaml"), "skip_pull_image": .bool(true),
                "parameter_overrides": .list(["A=1", "B=two words"]),
            ])
        #expect(text.hasPrefix("# Generated.\n# Rewritten by every build.\n"))
        #expect(text.contains("version = 0.1\n"))
        let config = try SAMConfig(parsing: text, path: "written.toml")
        for command in SAMConfig.localCommands {
            let parameters = config.parameters(for: command)
            #expect(parameters["template_file"] == .string("/a/b/template.yaml"))
            #expect(parameters["skip_pull_image"] == .bool(true))
            #expect(parameters["parameter_overrides"] == .list(["A=1", "B=two words"]))
        }
    }
}
