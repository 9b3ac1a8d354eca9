import Foundation
import PrewarmTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `prewarm build --engine auto` finding the engine the user means: a docker context, TLS to dockerd,
/// and one line, exit 2, for an engine pointed at that does not answer or may not be used.
extension EngineTests {
    @Suite struct EngineDiscoveryCLITests {
        /// Environment variables that must not leak in from the machine running the tests.
        static let unset = ["DOCKER_HOST": "", "DOCKER_CONTEXT": "", "DOCKER_TLS_VERIFY": "", "DOCKER_TLS": ""]

        @Test func aDeadDockerHostIsExit2WithOneLine() async throws {
            let directory = try TemporaryDirectory("pw-dead-host")
            defer { directory.remove() }
            let (template, emulators) = try OCITest.quickstartWithoutMetadata(in: directory)
            let result = try await OCITest.prewarm(
                [
                    "build", template, "--engine", "auto", "--oci-store", directory.path + "/store", "--rie-dir",
                    emulators,
                ],
                home: directory,
                environment: Self.unset.merging(["DOCKER_HOST": "tcp://127.0.0.1:9"]) { $1 })
            #expect(result.status == 2, "\(result.stderr)")
            // The template it read, then the one error line.
            var lines = result.stderr.split(separator: "\n")
            #expect(lines.first?.hasPrefix("prewarm: template: \(template) (given)") == true, "\(lines)")
            lines.removeFirst()
            #expect(lines.count == 1, "\(lines)")
            #expect(
                lines.first?.hasPrefix("prewarm: error: no Docker engine answers at tcp://127.0.0.1:9 (DOCKER_HOST)")
                    == true, "\(lines)")
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/store"), "no fallback to the OCI store")
        }

        @Test func aSocketWithoutPermissionSaysSo() async throws {
            let directory = try TemporaryDirectory("pw-denied")
            defer { directory.remove() }
            let (template, emulators) = try OCITest.quickstartWithoutMetadata(in: directory)
            let socket = directory.path + "/engine.sock"
            let python = try #require(CommandRunner.which("python3"))
            let bound = try await CommandRunner.run(
                python, ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", socket])
            #expect(bound.status == 0, "\(bound.stderr)")
            chmod(socket, 0o600)
            let prewarm = [
                "build", template, "--engine", "auto", "--oci-store", directory.path + "/store", "--rie-dir", emulators,
            ]
            var environment = Self.unset
            environment["DOCKER_HOST"] = "unix://\(socket)"
            environment["HOME"] = directory.path + "/home"
            let result: CommandResult
            if getuid() == 0 {
                // Root connects whatever the mode: run prewarm as nobody, who may not write to the socket.
                let setpriv = try #require(CommandRunner.which("setpriv"))
                chmod(directory.path, 0o755)
                let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                result = try await CommandRunner.run(
                    setpriv,
                    ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env"] + assignments
                        + [PrewarmExecutable.path] + prewarm)
            } else {
                chmod(socket, 0)
                result = try await OCITest.prewarm(prewarm, home: directory, environment: environment)
            }
            #expect(result.status == 2, "\(result.stderr)")
            // The template it read, then the one error line.
            var lines = result.stderr.split(separator: "\n")
            #expect(lines.first?.hasPrefix("prewarm: template: \(template) (given)") == true, "\(lines)")
            lines.removeFirst()
            #expect(lines.count == 1, "\(lines)")
            #expect(
                lines.first?.hasPrefix(
                    "prewarm: error: permission denied connecting to the Docker engine at unix://\(socket) (DOCKER_HOST)"
                )
                    == true, "\(lines)")
            #expect(lines.first?.contains("usermod -aG docker") == true)
        }

        @Test func aDockerContextPointingAtDockerdIsUsedByEngineAuto() async throws {
            guard let docker = DockerContexts.required("PREWARM_TEST_DOCKER_HOST") else { return }
            let directory = try TemporaryDirectory("pw-context")
            defer { directory.remove() }
            let (template, emulators) = try OCITest.quickstartWithoutMetadata(in: directory)
            let config = directory.path + "/home/.docker"
            try DockerContexts.write("pw-test", host: docker, config: config)
            try directory.write("home/.docker/config.json", #"{"currentContext": "pw-test"}"#)
            let result = try await OCITest.prewarm(
                ["build", template, "--engine", "auto", "--skip-pull-image", "--rie-dir", emulators], home: directory,
                environment: Self.unset)
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            // After the template's line, the engine's.
            let lines = result.stderr.split(separator: "\n").map(String.init).dropFirst()
            #expect(lines.first?.hasPrefix("prewarm: engine: docker at \(docker) (Engine API ") == true, "\(lines)")
            #expect(
                lines.first?.hasSuffix(
                    "(--engine auto: docker context 'pw-test' from currentContext in \(config)/config.json)") == true,
                "\(lines)")
            #expect(
                lines.contains { $0.contains("sam local reads only DOCKER_HOST") && $0.contains(docker) }, "\(lines)")
        }

        @Test func dockerdWithTLSVerifyBuildsThroughDockerHost() async throws {
            guard let host = DockerContexts.required("PREWARM_TEST_DOCKER_TLS_HOST"),
                let certificates = DockerContexts.required("PREWARM_TEST_DOCKER_CERT_PATH")
            else { return }
            let directory = try TemporaryDirectory("pw-tls")
            defer { directory.remove() }
            let (template, emulators) = try OCITest.quickstartWithoutMetadata(in: directory)
            var environment = Self.unset
            environment["DOCKER_HOST"] = host
            environment["DOCKER_TLS_VERIFY"] = "1"
            environment["DOCKER_CERT_PATH"] = certificates
            let result = try await OCITest.prewarm(
                ["build", template, "--skip-pull-image", "--progress", "json", "--rie-dir", emulators], home: directory,
                environment: environment)
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            // After the template's line, the engine's.
            let first = result.stderr.split(separator: "\n").dropFirst().first.map(String.init) ?? ""
            #expect(
                first.hasPrefix("prewarm: engine: docker at \(host) (TLS) (Engine API ")
                    && first.hasSuffix("(--engine auto: DOCKER_HOST)"), "\(first)")
        }
    }
}
