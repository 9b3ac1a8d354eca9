import Foundation
import PrewarmTestKit
import Testing

/// `--resume` continues with the interrupted run's options: a killed `--force-image-build` run,
/// resumed without the flag, rebuilds what it had not rebuilt yet, and nothing it had; a flag given
/// again overrides the recorded one, and both are said.
extension EngineTests.ResumeAfterKillTests {
    @Suite struct ResumeOptionsTests {
        typealias Kill = EngineTests.ResumeAfterKillTests

        @Test func aResumedForcedRunRebuildsTheRest() async throws {
            guard let setup = try Kill.setUp("prewarm-resume-force", jobs: 1) else { return }
            defer { setup.directory.remove() }
            let (template, common) = (setup.template, setup.arguments)
            let plan = try await PrewarmExecutable.run(["plan", template, "--format", "json"])
            let summary = (try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])?["summary"]
            let images = try #require((summary as? [String: Any])?["images"] as? Int)
            #expect(images >= 4)

            let warm = try await PrewarmExecutable.run(["build", template] + common)
            #expect(warm.status == 0, "\(warm.stderr)")
            let forced = try BackgroundProcess(
                PrewarmExecutable.path, ["build", template, "--force-image-build"] + common)
            #expect(await forced.wait { Kill.builtImages($0).count >= 2 }, "\(forced.lines.suffix(3))")
            await forced.kill()
            let rebuiltBefore = Kill.builtImages(forced.lines)
            #expect(rebuiltBefore.count < images, "killed half-way")

            let resumed = try await PrewarmExecutable.run(["build", template, "--resume"] + common)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(resumed.stderr.contains("with its options: --force-image-build"), "\(resumed.stderr)")
            let rebuiltAfter = Kill.builtImages(resumed.stdout.split(separator: "\n").map(String.init))
            #expect(rebuiltAfter.count == images - rebuiltBefore.count, "the rest: \(rebuiltAfter)")
            #expect(rebuiltAfter.isDisjoint(with: rebuiltBefore), "not what the killed run rebuilt")
        }

        @Test func aFlagGivenAgainOverridesTheRecordedOne() async throws {
            guard let setup = try Kill.setUp("prewarm-resume-override", jobs: 1) else { return }
            defer { setup.directory.remove() }
            let (template, common) = (setup.template, setup.arguments)
            let first = try BackgroundProcess(PrewarmExecutable.path, ["build", template, "--jobs", "1"] + common)
            #expect(await first.wait { Kill.builtImages($0).count >= 1 })
            await first.kill()
            let resumed = try await PrewarmExecutable.run(["build", template, "--resume", "--jobs", "2"] + common)
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(resumed.stderr.contains("override run"), "\(resumed.stderr)")
            #expect(resumed.stderr.contains("--jobs"), "\(resumed.stderr)")
        }
    }
}
