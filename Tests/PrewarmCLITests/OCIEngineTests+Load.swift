import Foundation
import PrewarmTestKit
import Testing

/// `prewarm build --load` when no Docker engine is there to load the images into: the engine is checked
/// before any work, so the command stops at once with one line and exit 2, and nothing is built or recorded.
extension EngineTests {
    @Suite struct OCILoadTests {
        /// Where `--load` finds no engine.
        enum Absence: String, CaseIterable, CustomTestStringConvertible {
            /// `--docker-host` names a socket that does not exist.
            case dockerHost
            /// Nothing points at an engine and none answers at the usual sockets.
            case nowhere

            var testDescription: String {
                self == .dockerHost ? "--docker-host at no socket" : "no engine anywhere"
            }
        }

        @Test(arguments: Absence.allCases)
        func loadWithNoEngineStopsBeforeAnyWork(_ absence: Absence) async throws {
            let directory = try TemporaryDirectory("prewarm-oci-load")
            defer { directory.remove() }
            let template = try OCITest.quickstart(in: directory)
            let store = directory.path + "/store"
            let journal = directory.path + "/journal.sqlite"
            let socket = directory.path + "/no-engine.sock"
            var arguments = ["build", template, "--oci-store", store, "--load", "--journal", journal]
            if absence == .dockerHost { arguments += ["--docker-host", "unix://" + socket] }
            let result = try await OCITest.prewarm(
                arguments, home: directory,
                environment: ["DOCKER_HOST": "", "DOCKER_CONTEXT": "", "XDG_RUNTIME_DIR": directory.path + "/run"])

            #expect(result.status == 2, "\(result.stdout)\n\(result.stderr)")
            // After the template's line, one line.
            var lines = result.stderr.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("prewarm: template: \(template) (given)") == true, "\(lines)")
            lines.removeFirst()
            #expect(lines.count == 1, "one line: \(lines)")
            let line = lines.first ?? ""
            #expect(line.hasPrefix("prewarm: error: --load needs a Docker engine"), "\(line)")
            #expect(line.contains("nothing was built"), "\(line)")
            #expect(line.contains("--docker-host"), "says what to do: \(line)")
            if absence == .dockerHost { #expect(line.contains(socket), "names the socket: \(line)") }
            #expect(result.stdout.isEmpty, "\(result.stdout)")

            // Nothing was built or recorded: no image in the store, no journal.
            let images = (try? OCITest.namedDigests(in: store)) ?? [:]
            #expect(!images.keys.contains { $0.hasPrefix("samcli/") || $0.contains("rapid") }, "\(images)")
            #expect(!FileManager.default.fileExists(atPath: journal), "no run was recorded")
        }
    }
}
