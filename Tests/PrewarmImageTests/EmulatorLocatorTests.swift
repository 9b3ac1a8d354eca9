import Foundation
import PrewarmImage
import PrewarmSupport
import PrewarmTestKit
import Testing

@Suite struct EmulatorLocatorTests {
    @Test func explicitDirectoryWinsOverTheEnvironment() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let given = try directory.write("given/aws-lambda-rie-arm64", "x")
        try directory.write("env/aws-lambda-rie-arm64", "y")
        let locator = EmulatorLocator(
            directory: directory.path + "/given", environment: ["PREWARM_RIE_DIR": directory.path + "/env"])
        #expect(try locator.emulator(for: "arm64") == given)
        let fromEnvironment = EmulatorLocator(environment: ["PREWARM_RIE_DIR": directory.path + "/env", "PATH": ""])
        #expect(try fromEnvironment.emulator(for: "arm64") == directory.path + "/env/aws-lambda-rie-arm64")
        let missing = #expect(throws: EngineError.self) { try locator.emulator(for: "x86_64") }
        #expect(missing?.message.contains("`emulatorDirectory`") == true)  // --rie-dir: SettingFlagsTests
        #expect(missing?.text.inputs.contains { $0 as? EngineInput == .emulatorDirectory } == true)
        #expect(missing?.message.contains("aws-lambda-rie-x86_64") == true)
        #expect(missing?.message.contains("pip install aws-sam-cli") == true, "says where the emulator comes from")
    }

    /// The SAM CLI that ci/install puts into .build-sam is a real pip installation.
    @Test func findsTheEmulatorOfAnInstalledSAMCLI() throws {
        let samBin = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build-sam/bin").path
        try #require(
            FileManager.default.isExecutableFile(atPath: samBin + "/sam"), "SAM CLI is installed by ci/install")
        let locator = EmulatorLocator(environment: ["PATH": "/nonexistent:" + samBin])
        for architecture in ["x86_64", "arm64"] {
            let path = try locator.emulator(for: architecture)
            #expect(path.hasSuffix("/samcli/local/rapid/aws-lambda-rie-\(architecture)"))
            #expect(FileManager.default.isExecutableFile(atPath: path))
        }
    }

    @Test func nothingFoundSaysHowToGetIt() {
        let locator = EmulatorLocator(environment: ["PATH": "/nonexistent"])
        let error = #expect(throws: EngineError.self) { try locator.emulator(for: "x86_64") }
        #expect(error?.code == .missingEmulator)
        #expect(error?.message.contains("pip install aws-sam-cli") == true)
        #expect(error?.message.contains("PREWARM_RIE_DIR") == true)
    }
}
