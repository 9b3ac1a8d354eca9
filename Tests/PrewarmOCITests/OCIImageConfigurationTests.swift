import Foundation
import Testing

@testable import PrewarmOCI

/// The typed image configuration reads what other tools write and writes back what it does not name.
@Suite struct OCIImageConfigurationTests {
    /// A Docker-made configuration, with fields the type does not name at every level.
    static let dockerConfiguration = """
        {"architecture":"arm64","os":"linux","variant":"v8","created":"2024-05-01T10:00:00.123456789Z",
         "docker_version":"24.0.7","container_config":{"Hostname":"","Cmd":null},
         "config":{"Env":["PATH=/usr/bin"],"Entrypoint":["/lambda-entrypoint.sh"],"Cmd":null,
                   "Labels":{"base":"yes"},"OnBuild":null,"Healthcheck":{"Test":["NONE"],"Interval":30000000000},
                   "ExposedPorts":{"8080/tcp":{}}},
         "rootfs":{"type":"layers","diff_ids":["sha256:aa","sha256:bb"]},
         "history":[{"created":"2024-05-01T10:00:00Z","created_by":"ADD file","empty_layer":false},
                    {"created_by":"CMD","empty_layer":true,"x-extra":1.5},
                    {"created_by":"COPY"}]}
        """

    @Test func readsTheFieldsItNamesAndKeepsTheRest() throws {
        let configuration = try JSONDecoder().decode(
            OCIImageConfiguration.self, from: Data(Self.dockerConfiguration.utf8))
        #expect(configuration.platform == OCIPlatform(architecture: "arm64", variant: "v8"))
        #expect(configuration.config?.labels == ["base": "yes"])
        #expect(configuration.config?.cmd == nil && configuration.config?.onBuild == nil)
        #expect(configuration.rootfs.diffIDs == ["sha256:aa", "sha256:bb"])
        #expect(configuration.history?.filter { $0.emptyLayer != true }.count == 2)
        #expect(configuration.otherFields["docker_version"] == .string("24.0.7"))
        #expect(
            configuration.config?.otherFields["Healthcheck"]
                == .object(["Test": .array([.string("NONE")]), "Interval": .integer(30_000_000_000)]))
    }

    /// Read and written again, the document is the same but for the `null`s of named fields.
    @Test func writesBackWhatItRead() throws {
        let data = Data(Self.dockerConfiguration.utf8)
        let configuration = try JSONDecoder().decode(OCIImageConfiguration.self, from: data)
        let written = try OCIJSON.encode(configuration)
        #expect(try JSONDecoder().decode(OCIImageConfiguration.self, from: written) == configuration)
        var original = try #require(try JSONSerialization.jsonObject(with: data) as? NSDictionary)
        let mutable = try #require(original.mutableCopy() as? NSMutableDictionary)
        let settings = try #require((mutable["config"] as? NSDictionary)?.mutableCopy() as? NSMutableDictionary)
        settings.removeObjects(forKeys: ["Cmd", "OnBuild"])
        mutable["config"] = settings
        original = mutable
        #expect(try JSONSerialization.jsonObject(with: written) as? NSDictionary == original)
        #expect(String(decoding: written, as: UTF8.self).contains(#""Interval":30000000000"#), "integers stay integers")
    }

    @Test func aConfigurationWithoutPlatformOrLayersReadsWithDefaults() throws {
        let configuration = try JSONDecoder().decode(OCIImageConfiguration.self, from: Data("{}".utf8))
        #expect(configuration.architecture == "" && configuration.os == "linux")
        #expect(configuration.rootfs.diffIDs.isEmpty && configuration.config == nil)
    }
}
