import Foundation
import PrewarmTestKit
import Testing

/// `--for-sam` after a real `sam build`, in a real dockerd: the SAM configuration is derived from the built
/// template (built code, built layers in SAM's layer cache), `gc` keeps what it built, and `watch --for-sam`
/// follows a new `sam build` once it has finished.
extension EngineTests {
    @Suite struct SAMBuildEngineTests {
        /// The arguments every build here takes besides its own.
        static func buildArguments(host: String, project: TemporaryDirectory) throws -> [String] {
            try project.write("rie/aws-lambda-rie-x86_64", "#!/bin/sh\n")
            try project.write("rie/aws-lambda-rie-arm64", "#!/bin/sh\n")
            return [
                "--docker-host", host, "--rie-dir", project.path + "/rie", "--skip-pull-image",
                "--layer-cache-basedir", project.path + "/.layers",
            ]
        }

        /// The directories of SAM's layer cache, with the text of their `python/made.py`.
        static func cachedLayers(_ project: TemporaryDirectory) throws -> [String: String] {
            let cache = project.path + "/.layers"
            var result: [String: String] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: cache) where !name.hasPrefix(".") {
                let made = "\(cache)/\(name)/python/made.py"
                result[name] = (try? String(contentsOfFile: made, encoding: .utf8)) ?? "(no python/made.py)"
                #expect(!FileManager.default.fileExists(atPath: "\(cache)/\(name)/Makefile"), "the built layer")
            }
            return result
        }

        @Test func forSAMUsesTheBuildAndGCKeepsWhatItMade() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let project = try SAMBuildTests.project()
            defer { project.remove() }
            try await SAMBuildTests.samBuild(in: project.path)
            let arguments = try Self.buildArguments(host: host, project: project)
            let build = try await PrewarmExecutable.run(["build", "--for-sam"] + arguments, in: project.path)
            #expect(build.status == 0, "\(build.stderr)")
            let config = project.path + "/.prewarm/sam/samconfig.toml"
            #expect(build.stderr.contains("run: sam local invoke --config-file \(config)"), "\(build.stderr)")
            let derived = try String(contentsOfFile: project.path + "/.prewarm/sam/template.yaml", encoding: .utf8)
            #expect(derived.contains("CodeUri: \(project.path)/.aws-sam/build/Fn"), "\(derived)")
            let built = try String(
                contentsOfFile: project.path + "/.aws-sam/build/Made/python/made.py", encoding: .utf8)
            #expect(Array(try Self.cachedLayers(project).values) == [built], "SAM's layer cache holds the built layer")

            // gc plans the same template and keeps every image the --for-sam build made.
            let plan = try await PrewarmExecutable.run(
                ["plan", "--format", "json", "-t", project.path + "/.prewarm/sam/template.yaml"], in: project.path)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
            let images = Set(((object["functions"] as? [[String: Any]]) ?? []).compactMap { $0["image"] as? String })
            #expect(images.count == 2, "\(plan.stdout)")
            let before = try await GCDockerTests.ids(Array(images), host: host)
            #expect(before.values.allSatisfy { $0 != nil }, "\(before)")
            let gc = try await PrewarmExecutable.run(
                ["gc", "--engine", "docker", "--docker-host", host], in: project.path)
            #expect(gc.status == 0, "\(gc.stderr)")
            #expect(gc.stdout.contains("removed 0 image(s)"), "\(gc.stdout)")
            #expect(try await GCDockerTests.ids(Array(images), host: host) == before, "what --for-sam made stays")
        }

        @Test func watchForSAMFollowsASamBuildOnceItHasFinished() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let project = try SAMBuildTests.project()
            defer { project.remove() }
            try await SAMBuildTests.samBuild(in: project.path)
            let arguments = try Self.buildArguments(host: host, project: project)
            let watch = try BackgroundProcess(
                PrewarmExecutable.path, ["watch", "--for-sam", "--progress", "json", "--quiet", "200"] + arguments,
                in: project.path)
            #expect(await watch.wait(timeout: .seconds(60)) { WatchTests.summaries($0).count == 1 }, "\(watch.lines)")
            let first = try Self.cachedLayers(project)
            #expect(first.count == 1)

            // A build under way: sam build writes build.toml before it builds, the template last. Until the
            // template is newer, nothing is built.
            let record = project.path + "/.aws-sam/build.toml"
            try Data(try Data(contentsOf: URL(fileURLWithPath: record))).write(to: URL(fileURLWithPath: record))
            try await Task.sleep(for: .seconds(2))
            #expect(WatchTests.summaries(watch.lines).count == 1, "no build from a build under way: \(watch.lines)")

            // The layer changes and sam build runs: one build, with the new layer, once sam build is done.
            try project.write(
                "layer/Makefile",
                "build-Made:\n\tmkdir -p $(ARTIFACTS_DIR)/python\n\techo 'made = \"second\"' > $(ARTIFACTS_DIR)/python/made.py\n"
            )
            try await SAMBuildTests.samBuild(in: project.path)
            #expect(await watch.wait(timeout: .seconds(60)) { WatchTests.summaries($0).count == 2 }, "\(watch.lines)")
            let second = try Self.cachedLayers(project)
            #expect(second.values.contains("made = \"second\"\n"), "the new build's layer: \(second)")
            try await Task.sleep(for: .seconds(2))
            #expect(WatchTests.summaries(watch.lines).count == 2, "once: \(watch.lines.suffix(3))")
            #expect(await watch.signal(SIGINT) == 130)
        }

        /// A template saved half-written is reported, and the watch goes on; the next good save builds.
        @Test func watchSurvivesAHalfWrittenTemplate() async throws {
            let host = try #require(BuildCommandTests.engines.first { $0.0 == "dockerd" }?.1)
            let project = try SAMBuildTests.project()
            defer { project.remove() }
            let arguments = try Self.buildArguments(host: host, project: project)
            try project.write("src/app.py", "def handler(event, context): return 1\n")
            try project.write("layer/python/made.py", "made = 1\n")
            let good = try String(contentsOfFile: project.path + "/template.yaml", encoding: .utf8)
            let watch = try BackgroundProcess(
                PrewarmExecutable.path, ["watch", "--progress", "json", "--quiet", "200"] + arguments, in: project.path)
            #expect(await watch.wait(timeout: .seconds(60)) { WatchTests.summaries($0).count == 1 }, "\(watch.lines)")
            try project.write("template.yaml", good + "\njunk: [\n")
            try await Task.sleep(for: .seconds(2))
            #expect(watch.stderr.contains("waiting for the next change"), "\(watch.stderr)")
            try project.write("template.yaml", good + "\n")
            #expect(await watch.wait(timeout: .seconds(60)) { WatchTests.summaries($0).count == 2 }, "\(watch.stderr)")
            #expect(await watch.signal(SIGINT) == 130)
        }
    }
}
