import Foundation
import PrewarmTestKit
import Testing

/// The quickstart's stand-in bases and emulator never end up under a name `sam local` looks up in the
/// default OCI store, or in a Docker engine the user did not name, and a later real build never takes them
/// for the real thing: leftovers of earlier versions are an error that says how to remove them.
extension EngineTests {
    @Suite struct StandInTests {
        /// Names `sam local` looks up.
        static func isSAMName(_ name: String) -> Bool {
            name.hasPrefix("public.ecr.aws/lambda/") || name.hasPrefix("samcli/lambda-") || name.contains(":rapid-")
        }

        @Test func quickstartThenARealTemplateNeverUsesTheStandIns() async throws {
            let directory = try TemporaryDirectory("prewarm-stand-ins")
            defer { directory.remove() }
            let template = try OCITest.quickstart(in: directory, as: "q")
            let noEngine = [
                "DOCKER_HOST": "", "DOCKER_CONTEXT": "", "XDG_RUNTIME_DIR": directory.path + "/run",
                "XDG_CACHE_HOME": "",
            ]
            // The quickstart as the README runs it: no flag.
            let quickstart = try await OCITest.prewarm(["build", template], home: directory, environment: noEngine)
            #expect(quickstart.status == 0, "\(quickstart.stdout)\n\(quickstart.stderr)")
            let project = directory.path + "/q/.prewarm/oci"
            #expect(
                quickstart.stderr.contains("prewarm: engine: oci store at \(project) (--engine auto: the template"),
                "\(quickstart.stderr)")
            #expect((try? OCITest.namedDigests(in: project))?.keys.contains { Self.isSAMName($0) } == true)
            // doctor checks the store the build uses.
            let doctor = try await OCITest.prewarm(["doctor", template], home: directory, environment: noEngine)
            #expect(doctor.stdout.contains("✓ engine: oci store at \(project)"), "\(doctor.stdout)\n\(doctor.stderr)")

            // Then the real thing, as its README says (no Metadata.Prewarm), offline, on the same default store.
            try OCITest.removeMetadata(from: template)
            var environment = noEngine
            environment["PREWARM_RIE_DIR"] = try OCITest.standInEmulators(in: directory)
            let real = try await OCITest.prewarm(
                ["build", template, "--skip-pull-image"], home: directory, environment: environment)
            #expect(real.status != 0, "no real base is there to build on: \(real.stdout)\n\(real.stderr)")
            #expect(!real.stdout.contains("up-to-date  base:"), "\(real.stdout)")
            #expect(real.stderr.contains("is not in the OCI store"), "\(real.stderr)")
            let store = directory.path + "/home/.cache/prewarm/oci"
            let names =
                FileManager.default.fileExists(atPath: store + "/index.json")
                ? try OCITest.namedDigests(in: store).keys.filter(Self.isSAMName) : []
            #expect(names.isEmpty, "the default store holds \(names)")
        }

        @Test func leftoversOfAnEarlierVersionAreRefusedAndRemovedByGC() async throws {
            let directory = try TemporaryDirectory("prewarm-stand-in-leftovers")
            defer { directory.remove() }
            let template = try OCITest.quickstart(in: directory, as: "q")
            let store = directory.path + "/home/.cache/prewarm/oci"
            let noEngine = [
                "DOCKER_HOST": "", "DOCKER_CONTEXT": "", "XDG_RUNTIME_DIR": directory.path + "/run",
                "XDG_CACHE_HOME": "",
            ]
            // What earlier versions did with no flag: the quickstart's images in the default store.
            let earlier = try await OCITest.prewarm(
                ["build", template, "--oci-store", store], home: directory, environment: noEngine)
            #expect(earlier.status == 0, "\(earlier.stdout)\n\(earlier.stderr)")
            #expect(try OCITest.namedDigests(in: store)["public.ecr.aws/lambda/python:3.12-x86_64"] != nil)

            try OCITest.removeMetadata(from: template)
            var environment = noEngine
            environment["PREWARM_RIE_DIR"] = try OCITest.standInEmulators(in: directory)
            let real = try await OCITest.prewarm(["build", template], home: directory, environment: environment)
            #expect(real.status == 1, "\(real.stdout)\n\(real.stderr)")
            #expect(!real.stdout.contains("up-to-date  base:"), "\(real.stdout)")
            let refusal = real.stderr.split(separator: "\n").first { $0.contains("is a stand-in") }
            #expect(
                refusal?.contains("base image public.ecr.aws/lambda/python:3.12-x86_64 in oci store at \(store)")
                    == true
                    && refusal?.contains("`prewarm gc --stand-ins --oci-store \(store)`") == true,
                "\(real.stderr)")

            let doctor = try await OCITest.prewarm(
                ["doctor", template, "--engine", "oci"], home: directory, environment: environment)
            #expect(doctor.status != 0)
            #expect(doctor.stdout.contains("is a stand-in"), "\(doctor.stdout)\n\(doctor.stderr)")

            let gc = try await OCITest.prewarm(
                ["gc", "--stand-ins", "--oci-store", store], home: directory, environment: noEngine)
            #expect(gc.status == 0, "\(gc.stdout)\n\(gc.stderr)")
            #expect(gc.stdout.contains("removed stand-in public.ecr.aws/lambda/python:3.12-arm64"), "\(gc.stdout)")
            #expect(try OCITest.namedDigests(in: store).keys.filter(Self.isSAMName).isEmpty)

            let again = try await OCITest.prewarm(
                ["build", template, "--skip-pull-image"], home: directory, environment: environment)
            #expect(again.status != 0)
            #expect(!again.stderr.contains("is a stand-in"), "\(again.stderr)")
            #expect(again.stderr.contains("is not in the OCI store"), "\(again.stderr)")
        }

        @Test func aDockerEngineFoundByDiscoveryGetsNoneOfTheQuickstartsImages() async throws {
            guard let host = OCITest.required("PREWARM_TEST_DOCKER_HOST") else { return }
            let directory = try TemporaryDirectory("prewarm-stand-ins-docker")
            defer { directory.remove() }
            let template = try OCITest.quickstart(in: directory, as: "q")
            let result = try await OCITest.prewarm(
                ["build", template], home: directory,
                environment: ["DOCKER_HOST": host, "DOCKER_CONTEXT": "", "XDG_CACHE_HOME": ""])
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stderr.contains("engine: oci store at \(directory.path)/q/.prewarm/oci"), "\(result.stderr)")
            // Every image prewarm builds is labelled with its template: none of this one's is in the engine.
            let docker = try #require(OCITest.tool("docker"))
            let listed = try await OCITest.run(
                docker, ["images", "-q", "--filter", "label=dev.prewarm.template=\(template)"],
                environment: ["DOCKER_HOST": host])
            #expect(listed.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(listed)")

            // Named explicitly (--engine docker, then --load), the engine gets them, with one line that says what
            // they are and how to remove them; that command removes them.
            for flags in [["--engine", "docker", "--skip-pull-image"], ["--load"]] {
                let explicit = try await OCITest.prewarm(
                    ["build", template] + flags, home: directory,
                    environment: ["DOCKER_HOST": host, "DOCKER_CONTEXT": "", "XDG_CACHE_HOME": ""])
                #expect(explicit.status == 0, "\(flags): \(explicit.stdout)\n\(explicit.stderr)")
                let line = explicit.stderr.split(separator: "\n").first {
                    $0.contains("are built on the template's stand-ins (Metadata.Prewarm) and cannot run handlers")
                }
                let command = line.flatMap { $0.split(separator: "`").dropFirst().first }.map(String.init) ?? ""
                #expect(
                    command.hasPrefix(
                        "docker rmi public.ecr.aws/lambda/python:3.12-rapid-x86_64 samcli/lambda-python:3.12-"),
                    "\(flags): \(explicit.stderr)")
                let removal = try await CommandRunner.run(
                    "/usr/bin/env",
                    ["DOCKER_HOST=\(host)", docker] + command.split(separator: " ").dropFirst().map(String.init))
                #expect(removal.status == 0, "\(command): \(removal.stderr)")
            }

            // Built with a stand-in emulator, they carry the stand-in label: gc --stand-ins finds and removes them,
            // and leaves the engine's other images (its bases, which are no stand-ins of prewarm's) alone.
            let again = try await OCITest.prewarm(
                ["build", template, "--engine", "docker", "--skip-pull-image"], home: directory,
                environment: ["DOCKER_HOST": host, "DOCKER_CONTEXT": ""])
            #expect(again.status == 0, "\(again.stderr)")
            let gc = try await OCITest.prewarm(
                ["gc", "--stand-ins", "--engine", "docker"], home: directory,
                environment: ["DOCKER_HOST": host, "DOCKER_CONTEXT": ""])
            #expect(gc.status == 0, "\(gc.stdout)\n\(gc.stderr)")
            #expect(
                gc.stdout.contains("removed stand-in samcli/lambda-python:3.12-x86_64-ea35a2dafa693f01cf9de8ed7"),
                "\(gc.stdout)")
            let left = try await OCITest.run(
                docker, ["images", "-q", "--filter", "label=dev.prewarm.template=\(template)"],
                environment: ["DOCKER_HOST": host])
            #expect(left.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(left)")
            try await OCITest.run(
                docker, ["image", "inspect", "public.ecr.aws/lambda/python:3.12-x86_64"],
                environment: ["DOCKER_HOST": host])
        }
    }
}
