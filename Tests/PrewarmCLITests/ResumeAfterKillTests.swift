import Foundation
import PrewarmSupport
import PrewarmTestKit
import Testing

/// `kill -9` of `prewarm build` at several moments, then `prewarm build --resume`: every image
/// ends correct, nothing that finished is built again, and the journal stays readable.
extension EngineTests {
    @Suite struct ResumeAfterKillTests {
        struct Finished: Decodable {
            var event: String
            var node: String?
            var kind: String?
            var outcome: String?
            var built: Int?
        }

        static func events(_ lines: [String]) -> [Finished] {
            lines.compactMap { try? JSONDecoder().decode(Finished.self, from: Data($0.utf8)) }
        }

        static func builtImages(_ lines: [String]) -> Set<String> {
            let built = events(lines).filter { $0.event == "finished" && $0.kind == "image" && $0.outcome == "built" }
            return Set(built.compactMap(\.node))
        }

        /// The app of `BuildCommandTests` in a new directory, and the arguments every build of it
        /// takes (dockerd, its emulator, its journal, JSON progress, `jobs` builds at once).
        struct Setup {
            var directory: TemporaryDirectory
            var template: String
            var journal: String
            var arguments: [String]
            /// Builds' `TMPDIR`, where their scratch directories go.
            var temporary: String
            /// The test's environment, with `TMPDIR` set to `temporary`.
            var environment: [String: String]

            /// The scratch directories (`prewarm-<UUID>`) under `temporary`.
            func scratchDirectories() throws -> [String] {
                try FileManager.default.contentsOfDirectory(atPath: temporary).filter(ScratchDirectory.isScratchName)
            }
        }

        /// `nil` when no dockerd is given (which fails the test when ci/test requires engines).
        static func setUp(_ label: String, jobs: Int) throws -> Setup? {
            guard let host = ProcessInfo.processInfo.environment["PREWARM_TEST_DOCKER_HOST"] else {
                #expect(ProcessInfo.processInfo.environment["PREWARM_REQUIRE_ENGINES"] != "1", "ci/test starts dockerd")
                return nil
            }
            let directory = try TemporaryDirectory(label)
            let template = try BuildCommandTests.writeApp(in: directory)
            let journal = directory.path + "/journal.sqlite"
            let arguments = [
                "--docker-host", host, "--rie-dir", directory.path + "/rie", "--skip-pull-image", "--journal", journal,
                "--progress", "json", "--jobs", String(jobs),
            ]
            let (temporary, environment) = try directory.ownTMPDIR()
            return Setup(
                directory: directory, template: template, journal: journal, arguments: arguments,
                temporary: temporary, environment: environment)
        }

        /// Kills after this many images were reported built (0: as soon as the first node starts).
        @Test(arguments: [0, 2, 5, 9])
        func resumeAfterKill(afterImages count: Int) async throws {
            guard let setup = try Self.setUp("prewarm-kill", jobs: 1) else { return }
            defer { setup.directory.remove() }
            let (template, journal, common) = (setup.template, setup.journal, setup.arguments)

            let first = try BackgroundProcess(
                PrewarmExecutable.path, ["build", template] + common, environment: setup.environment)
            let reached = await first.wait { lines in
                count == 0 ? !lines.isEmpty : Self.builtImages(lines).count >= count
            }
            #expect(reached, "the first run got that far: \(first.lines.suffix(3))")
            await first.kill()
            let builtBefore = Self.builtImages(first.lines)
            // The killed build could not remove its scratch directory (layer archives, contexts).
            if count > 0 { #expect(try setup.scratchDirectories().count == 1) }

            let resumed = try await PrewarmExecutable.run(
                ["build", template, "--resume"] + common, environment: setup.environment)
            #expect(resumed.status == 0, "\(resumed.stdout.suffix(600))\n\(resumed.stderr)")
            // The next build removed it, and its own.
            #expect(try setup.scratchDirectories() == [])
            let lines = resumed.stdout.split(separator: "\n").map(String.init)
            let builtAfter = Self.builtImages(lines)
            #expect(
                builtBefore.isDisjoint(with: builtAfter),
                "rebuilt after resume: \(builtBefore.intersection(builtAfter))")
            let imageNodes = Set(
                Self.events(lines).filter { $0.event == "finished" && $0.kind == "image" }.compactMap(\.node))
            let plan = try await PrewarmExecutable.run(["plan", template, "--format", "json"])
            let summary = (try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])?["summary"]
            let images = try #require((summary as? [String: Any])?["images"] as? Int)
            #expect(imageNodes.count == images, "every image is accounted for")
            #expect(Self.events(lines).allSatisfy { $0.outcome != "failed" })

            // The journal is readable: the killed run reads as interrupted, the resumed one succeeded.
            let runs = try await PrewarmExecutable.run(["runs", "--journal", journal, "--format", "json"])
            #expect(runs.status == 0, "\(runs.stderr)")
            let records = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]] ?? []
            #expect(records.count == 2)
            #expect(records.first?["outcome"] as? String == "succeeded")
            #expect(records.last?["outcome"] as? String == "interrupted")

            // A third run builds nothing: what the killed run left is complete or was redone.
            let again = try await PrewarmExecutable.run(["build", template] + common)
            #expect(again.status == 0)
            #expect(Self.builtImages(again.stdout.split(separator: "\n").map(String.init)).isEmpty)
        }

        /// SIGTERM (or Ctrl-C) stops the run: exit 130, the journal says interrupted, no node
        /// is left running, and --resume finishes the job.
        @Test(arguments: [SIGTERM, SIGINT])
        func signalStopsTheRunCleanly(_ signal: Int32) async throws {
            guard let setup = try Self.setUp("prewarm-signal", jobs: 1) else { return }
            defer { setup.directory.remove() }
            let (template, journal, common) = (setup.template, setup.journal, setup.arguments)
            let run = try BackgroundProcess(PrewarmExecutable.path, ["build", template] + common)
            #expect(await run.wait { !Self.builtImages($0).isEmpty })
            let status = await run.signal(signal)
            #expect(status == 130)
            #expect(run.lines.last?.contains("\"event\":\"summary\"") == true, "\(run.lines.suffix(2))")

            let detail = try await PrewarmExecutable.run(["status", "--journal", journal, "--format", "json"])
            let object = try JSONSerialization.jsonObject(with: Data(detail.stdout.utf8)) as? [String: Any]
            #expect((object?["run"] as? [String: Any])?["outcome"] as? String == "interrupted")
            let states = Set((object?["nodes"] as? [[String: Any]] ?? []).compactMap { $0["state"] as? String })
            #expect(!states.contains("running") && !states.contains("pending"), "\(states)")

            let resumed = try await PrewarmExecutable.run(["build", template, "--resume"] + common)
            #expect(resumed.status == 0, "\(resumed.stderr)")
        }

        /// Two `prewarm build` processes on one journal and one engine: every image is built
        /// by exactly one of them, both succeed, and the journal holds two settled runs.
        @Test func twoProcessesNeverBuildAnImageTwice() async throws {
            guard let setup = try Self.setUp("prewarm-two", jobs: 2) else { return }
            defer { setup.directory.remove() }
            let (template, journal, common) = (setup.template, setup.journal, setup.arguments)
            let first = try BackgroundProcess(PrewarmExecutable.path, ["build", template] + common)
            let second = try BackgroundProcess(PrewarmExecutable.path, ["build", template] + common)
            #expect(await first.wait(timeout: .seconds(300)) { $0.last?.contains("\"event\":\"summary\"") == true })
            #expect(await second.wait(timeout: .seconds(300)) { $0.last?.contains("\"event\":\"summary\"") == true })
            #expect(await first.exitStatus() == 0, "\(first.stderr)\(first.lines.suffix(3))")
            #expect(await second.exitStatus() == 0, "\(second.stderr)\(second.lines.suffix(3))")
            let builtByFirst = Self.builtImages(first.lines)
            let builtBySecond = Self.builtImages(second.lines)
            #expect(builtByFirst.isDisjoint(with: builtBySecond), "\(builtByFirst.intersection(builtBySecond))")
            let plan = try await PrewarmExecutable.run(["plan", template, "--format", "json"])
            let summary = (try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])?["summary"]
            #expect(builtByFirst.count + builtBySecond.count == (summary as? [String: Any])?["images"] as? Int)

            let runs = try await PrewarmExecutable.run(["runs", "--journal", journal, "--format", "json"])
            let records = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]] ?? []
            #expect(records.count == 2)
            #expect(records.allSatisfy { $0["outcome"] as? String == "succeeded" })
        }
    }
}
