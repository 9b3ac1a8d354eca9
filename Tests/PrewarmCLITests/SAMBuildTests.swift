import Foundation
import PrewarmTestKit
import Testing

/// After `sam build`, prewarm reads what `sam local` reads: `.aws-sam/build/template.yaml`, found as SAM CLI
/// finds it, with the built code and layers; a build older than its sources is named, not used silently.
/// The builds are real `sam build` runs (Makefile builds: offline, no language toolchain needed), one at a
/// time: each starts SAM CLI's Python, and several at once starved the suite's timing-sensitive tests on
/// 2 cores.
@Suite(.serialized) struct SAMBuildTests {
    /// A project: a layer and a function built by Makefiles, and a nested stack whose function is too.
    static func project() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("prewarm-sam-build")
        try directory.write(
            "template.yaml",
            """
            AWSTemplateFormatVersion: '2010-09-09'
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Made:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: layer/}
                Metadata: {BuildMethod: makefile}
              Fn:
                Type: AWS::Serverless::Function
                Properties: {CodeUri: src/, Runtime: python3.12, Handler: app.handler, Layers: [!Ref Made]}
                Metadata: {BuildMethod: makefile}
              Child:
                Type: AWS::Serverless::Application
                Properties: {Location: child/template.yaml}
            """)
        try directory.write(
            "child/template.yaml",
            """
            Transform: AWS::Serverless-2016-10-31
            Resources:
              ChildFn:
                Type: AWS::Serverless::Function
                Properties: {CodeUri: src/, Runtime: python3.12, Handler: app.handler}
                Metadata: {BuildMethod: makefile}
            """)
        try directory.write(
            "layer/Makefile",
            "build-Made:\n\tmkdir -p $(ARTIFACTS_DIR)/python\n\techo 'made = \"\(UUID().uuidString)\"' > $(ARTIFACTS_DIR)/python/made.py\n"
        )
        try directory.write(
            "src/Makefile", "build-Fn:\n\techo 'def handler(event, context): return 1' > $(ARTIFACTS_DIR)/app.py\n")
        try directory.write(
            "child/src/Makefile",
            "build-ChildFn:\n\techo 'def handler(event, context): return 2' > $(ARTIFACTS_DIR)/app.py\n")
        return directory
    }

    /// The SAM CLI that ci/install puts into .build-sam.
    static var sam: String {
        URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build-sam/bin/sam").path
    }

    /// Runs the real `sam build` in `directory`, offline and without telemetry.
    static func samBuild(in directory: String, _ arguments: [String] = []) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: sam), "SAM CLI is installed by ci/install")
        var environment = ProcessInfo.processInfo.environment
        environment["SAM_CLI_TELEMETRY"] = "0"
        environment["AWS_EC2_METADATA_DISABLED"] = "true"
        environment["HOME"] = directory + "/.home"
        let result = try await CommandRunner.run(sam, ["build"] + arguments, in: directory, environment: environment)
        try #require(result.status == 0, "sam build: \(result.stderr)")
    }

    /// `prewarm plan --format json` in `directory`: the status, the document, and standard error.
    static func plan(in directory: String, _ arguments: [String] = [], environment: [String: String]? = nil)
        async throws -> (status: Int32, plan: [String: Any], stderr: String)
    {
        let result = try await PrewarmExecutable.run(
            ["plan", "--format", "json"] + arguments, in: directory, environment: environment)
        let plan = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
        return (result.status, plan, result.stderr)
    }

    static func layerPaths(_ plan: [String: Any]) -> [String] {
        let nodes = ((plan["graph"] as? [String: Any])?["nodes"] as? [[String: Any]]) ?? []
        return nodes.compactMap { $0["path"] as? String }
    }

    @Test func withNoTemplateTheBuildIsReadAndTheFirstLineSaysSo() async throws {
        let directory = try Self.project()
        defer { directory.remove() }
        try await Self.samBuild(in: directory.path)
        let (status, plan, stderr) = try await Self.plan(in: directory.path)
        #expect(status == 0, "\(stderr)")
        let first = stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("prewarm: template: .aws-sam/build/template.yaml (built by `sam build`"), "\(stderr)")
        let names = ((plan["functions"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        #expect(Set(names) == ["Fn", "Child/ChildFn"], "the built nested stack is followed")
        #expect(Self.layerPaths(plan) == [directory.path + "/.aws-sam/build/Made"], "the built layer")
        #expect(!stderr.contains("warning"), "a fresh build: \(stderr)")
    }

    @Test func aSourceChangedAfterTheBuildIsNamedWithSamBuild() async throws {
        let directory = try Self.project()
        defer { directory.remove() }
        try await Self.samBuild(in: directory.path)
        try await Task.sleep(for: .milliseconds(20))
        try directory.write(
            "src/Makefile", "build-Fn:\n\techo 'def handler(event, context): return 3' > $(ARTIFACTS_DIR)/app.py\n")
        let (status, plan, stderr) = try await Self.plan(in: directory.path)
        #expect(status == 0, "\(stderr)")
        let warning = try #require(stderr.split(separator: "\n").first { $0.contains("warning") }, "\(stderr)")
        #expect(warning.contains("Fn (Makefile changed)"), "\(warning)")
        #expect(warning.contains("`sam build`"), "\(warning)")
        #expect(!warning.contains("ChildFn") && !warning.contains("Made"), "only what changed: \(warning)")
        #expect((plan["warnings"] as? [String])?.contains { $0.contains("Fn (Makefile changed)") } == true)
        // Still planned from the build SAM would use.
        #expect(Self.layerPaths(plan) == [directory.path + "/.aws-sam/build/Made"])
    }

    @Test func withCachedBuildsTheSourceHashDecides() async throws {
        let directory = try Self.project()
        defer { directory.remove() }
        try await Self.samBuild(in: directory.path, ["--cached"])
        let record = try String(contentsOfFile: directory.path + "/.aws-sam/build.toml", encoding: .utf8)
        #expect(record.contains("source_hash"), "sam build --cached records source hashes: \(record)")
        // Written again with the same bytes: newer, but the same content, so not stale.
        let layer = try String(contentsOfFile: directory.path + "/layer/Makefile", encoding: .utf8)
        try directory.write("layer/Makefile", layer)
        let same = try await Self.plan(in: directory.path)
        #expect(!same.stderr.contains("warning"), "\(same.stderr)")
        try directory.write("layer/Makefile", layer + "\n# changed\n")
        let changed = try await Self.plan(in: directory.path)
        #expect(changed.stderr.contains("sources of Made (Makefile changed)"), "\(changed.stderr)")
    }

    @Test func aSourceTemplateNamedBesideABuildSaysWhichOneSAMRuns() async throws {
        let directory = try Self.project()
        defer { directory.remove() }
        try await Self.samBuild(in: directory.path)
        let (status, plan, stderr) = try await Self.plan(in: directory.path, ["template.yaml"])
        #expect(status == 0, "\(stderr)")
        #expect(stderr.contains("prewarm: template: template.yaml (given)"), "\(stderr)")
        #expect(stderr.contains("use -t .aws-sam/build/template.yaml"), "\(stderr)")
        #expect(Self.layerPaths(plan) == [directory.path + "/layer"], "as named")
    }

    @Test func anUnbuiltSourceTemplateWithBuildMethodsSaysSamLocalRunsThemUnbuilt() async throws {
        let directory = try Self.project()
        defer { directory.remove() }
        let (status, _, stderr) = try await Self.plan(in: directory.path)
        #expect(status == 0, "\(stderr)")
        #expect(stderr.contains("prewarm: template: template.yaml (no .aws-sam/build/template.yaml"), "\(stderr)")
        let warnings = stderr.split(separator: "\n").filter { $0.contains("warning") }
        #expect(warnings.count == 1, "one line: \(stderr)")
        #expect(warnings.first?.contains("Made, Fn, Child/ChildFn have a Metadata.BuildMethod") == true, "\(stderr)")
        #expect(warnings.first?.contains("unbuilt; run `sam build`") == true)
    }

    @Test func theEnvironmentAndTheSAMConfigurationBesideTheTemplateNameItAsInSAM() async throws {
        let directory = try TemporaryDirectory("prewarm-sam-locate")
        defer { directory.remove() }
        let template = """
            Parameters:
              Rt: {Type: String, Default: python3.12}
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties: {CodeUri: src/, Runtime: !Ref Rt, Handler: app.handler}
            """
        try directory.write("app/template.yaml", template)
        try directory.write("other.yaml", template)
        try directory.write(
            "app/samconfig.toml",
            "version = 0.1\n[default.local_invoke.parameters]\nparameter_overrides = \"Rt=nodejs20.x\"\n")
        try directory.write(
            "samconfig.toml",
            "version = 0.1\n[default.local_invoke.parameters]\ntemplate_file = \"other.yaml\"\n"
                + "parameter_overrides = \"Rt=ruby3.3\"\n")
        func runtime(_ plan: [String: Any]) -> String? {
            ((plan["functions"] as? [[String: Any]])?.first?["runtime"]) as? String
        }
        // Named: the samconfig.toml beside it applies, not the current directory's.
        let named = try await Self.plan(in: directory.path, ["--template-file", "app/template.yaml"])
        #expect(named.status == 0, "\(named.stderr)")
        #expect(runtime(named.plan) == "nodejs20.x", "\(named.stderr)")
        // SAM_TEMPLATE_FILE: the same.
        var environment = ProcessInfo.processInfo.environment
        environment["SAM_TEMPLATE_FILE"] = "app/template.yaml"
        let fromEnvironment = try await Self.plan(in: directory.path, environment: environment)
        #expect(fromEnvironment.stderr.contains("template: app/template.yaml (from SAM_TEMPLATE_FILE)"))
        #expect(runtime(fromEnvironment.plan) == "nodejs20.x", "\(fromEnvironment.stderr)")
        // Neither: the current directory's samconfig.toml names the template.
        let fromConfig = try await Self.plan(in: directory.path)
        #expect(fromConfig.stderr.contains("template: other.yaml (template_file of"), "\(fromConfig.stderr)")
        #expect(runtime(fromConfig.plan) == "ruby3.3")
    }

    /// The quickstart's Metadata.Prewarm paths are relative to its directory: the derived template resolves
    /// them there, not in .prewarm/sam/.
    @Test func theQuickstartBuildsForSAM() async throws {
        let directory = try TemporaryDirectory("prewarm-quickstart-for-sam")
        defer { directory.remove() }
        let quickstart = URL(fileURLWithPath: Fixtures.directory).deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("examples/quickstart").path
        try FileManager.default.copyItem(atPath: quickstart, toPath: directory.path + "/q")
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory.path + "/home"
        let result = try await PrewarmExecutable.run(
            [
                "build", "--for-sam", "q/template.yaml", "--engine", "oci", "--oci-store", directory.path + "/oci",
                "--progress", "plain",
            ], in: directory.path, environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let config = directory.path + "/q/.prewarm/sam/samconfig.toml"
        #expect(result.stderr.contains("run: sam local invoke --config-file \(config)"), "\(result.stderr)")
        let derived = try String(contentsOfFile: directory.path + "/q/.prewarm/sam/template.yaml", encoding: .utf8)
        #expect(derived.contains("BaseImages: \(directory.path)/q/bases"), "\(derived)")
    }

    /// An Image function of a built template starts from the image `sam build` made in the Docker engine:
    /// the OCI store cannot build on it, and says so in one line.
    @Test func theOCIStoreSkipsAnImageSamBuildMadeInDocker() async throws {
        let directory = try TemporaryDirectory("prewarm-sam-build-image")
        defer { directory.remove() }
        // As sam build writes it: ImageUri <logical id, lower case>:<DockerTag>, the Metadata kept.
        try directory.write(
            ".aws-sam/build/template.yaml",
            """
            Resources:
              ImageFunction:
                Type: AWS::Serverless::Function
                Properties:
                  PackageType: Image
                  ImageUri: imagefunction:v1
                Metadata:
                  DockerContext: \(directory.path)/image
                  Dockerfile: Dockerfile
                  DockerTag: v1
                  SamResourceId: ImageFunction
            """)
        try directory.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\n")
        let result = try await PrewarmExecutable.run(
            [
                "build", "--engine", "oci", "--oci-store", directory.path + "/oci", "--rie-dir",
                directory.path + "/rie",
                "--progress", "plain",
            ], in: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("skipped ImageFunction") }
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.contains("its image imagefunction:v1 was made by `sam build`") == true)
        #expect(lines.first?.contains("--engine docker") == true)
    }
}
