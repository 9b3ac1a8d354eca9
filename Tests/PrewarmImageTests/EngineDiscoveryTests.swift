import Foundation
import PrewarmImage
import PrewarmSupport
import PrewarmTestKit
import Testing

/// Finding the engine the user means: docker contexts, `DOCKER_HOST` (with TLS), the usual sockets, and
/// what is an error rather than a fallback. The tests with an engine use the ones ci/test starts
/// (`PREWARM_TEST_DOCKER_HOST`, `PREWARM_TEST_DOCKER_TLS_HOST` with `PREWARM_TEST_DOCKER_CERT_PATH`,
/// `PREWARM_TEST_PODMAN_HOST`).
@Suite struct EngineDiscoveryTests {
    @Test func theCurrentContextOfConfigJSONAndDockerContextArePointedAt() throws {
        let home = try TemporaryDirectory("pw-ctx")
        defer { home.remove() }
        let config = home.path + "/.docker"
        try DockerContexts.write("colima", host: "unix:///tmp/colima.sock", config: config)
        try DockerContexts.write("remote", host: "tcp://127.0.0.1:2376", config: config, tls: nil)
        try home.write(".docker/config.json", #"{"currentContext": "colima"}"#)

        let current = try #require(
            try EngineDiscovery(environment: [:], homeDirectory: home.path).explicitCandidate(option: nil))
        #expect(current.endpoint.description == "unix:///tmp/colima.sock")
        #expect(current.origin == "docker context 'colima' from currentContext in \(config)/config.json")
        #expect(current.isExplicit)
        #expect(current.source == .context(name: "colima", chosenBy: "currentContext in \(config)/config.json"))
        #expect(!current.samLooksHere)

        let chosen = try #require(
            try EngineDiscovery(environment: ["DOCKER_CONTEXT": "remote"], homeDirectory: home.path)
                .explicitCandidate(option: nil))
        #expect(chosen.endpoint.baseURL == "http://127.0.0.1:2376")

        // DOCKER_HOST wins over every context, and --docker-host over DOCKER_HOST, as in the docker CLI.
        let host = try #require(
            try EngineDiscovery(
                environment: ["DOCKER_CONTEXT": "remote", "DOCKER_HOST": "unix:///tmp/d.sock"], homeDirectory: home.path
            ).explicitCandidate(option: nil))
        #expect(host.origin == "DOCKER_HOST")
        #expect(host.samLooksHere)
        let flag = try #require(
            try EngineDiscovery(environment: ["DOCKER_HOST": "unix:///tmp/d.sock"], homeDirectory: home.path)
                .explicitCandidate(option: "unix:///tmp/flag.sock"))
        #expect(flag.origin == EngineInput.dockerHost.mention)
        #expect(flag.source == .option)

        // `default` is no context: nothing is pointed at.
        #expect(
            try EngineDiscovery(environment: ["DOCKER_CONTEXT": "default"], homeDirectory: home.path)
                .explicitCandidate(option: nil) == nil)
        let missing = #expect(throws: EngineError.self) {
            try EngineDiscovery(environment: ["DOCKER_CONTEXT": "typo"], homeDirectory: home.path)
                .explicitCandidate(option: nil)
        }
        #expect(missing?.message.contains("docker context 'typo' from DOCKER_CONTEXT does not exist") == true)
        #expect(missing?.message.contains("docker context ls") == true)
    }

    @Test func tlsComesFromTheEnvironmentOrTheContext() throws {
        let home = try TemporaryDirectory("pw-ctx-tls")
        defer { home.remove() }
        for file in ["ca.pem", "cert.pem", "key.pem"] { try home.write("certs/\(file)", "x") }
        let verified = try #require(
            try EngineDiscovery(
                environment: [
                    "DOCKER_HOST": "tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY": "1",
                    "DOCKER_CERT_PATH": home.path + "/certs",
                ], homeDirectory: home.path
            ).explicitCandidate(option: nil))
        #expect(verified.endpoint.baseURL == "https://127.0.0.1:2376")
        #expect(verified.endpoint.tls?.verify == true)
        #expect(verified.endpoint.tls?.certificatePath == home.path + "/certs/cert.pem")
        #expect(verified.endpoint.description == "tcp://127.0.0.1:2376 (TLS)")
        let plain = try #require(
            try EngineDiscovery(environment: ["DOCKER_HOST": "tcp://127.0.0.1:2375"], homeDirectory: home.path)
                .explicitCandidate(option: nil))
        #expect(plain.endpoint.baseURL == "http://127.0.0.1:2375")
        #expect(plain.endpoint.tls == nil)

        try DockerContexts.write(
            "secure", host: "tcp://127.0.0.1:2376", config: home.path + "/.docker", tls: home.path + "/certs")
        let context = try #require(
            try EngineDiscovery(environment: ["DOCKER_CONTEXT": "secure"], homeDirectory: home.path)
                .explicitCandidate(option: nil))
        #expect(context.endpoint.baseURL == "https://127.0.0.1:2376")
        #expect(context.endpoint.tls?.caPath?.hasSuffix("/docker/ca.pem") == true)
    }

    @Test func sshHostsAreRefusedWithHowToForwardTheSocket() {
        let error = #expect(throws: EngineError.self) {
            try EngineDiscovery(environment: ["DOCKER_HOST": "ssh://me@build-box"], homeDirectory: "/nonexistent")
                .explicitCandidate(option: nil)
        }
        #expect(error?.code == .unsupported)
        #expect(error?.message.hasPrefix("DOCKER_HOST: cannot use Docker host 'ssh://me@build-box'") == true)
        #expect(error?.message.contains("ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock me@build-box") == true)
    }

    @Test func aDeadDockerHostIsAnErrorNotAFallback() async throws {
        for host in ["tcp://127.0.0.1:9", "unix:///nonexistent/docker.sock"] {
            let discovery = EngineDiscovery(environment: ["DOCKER_HOST": host], homeDirectory: "/nonexistent")
            let error = try await #require(throws: EngineError.self) { _ = try await discovery.discover(option: nil) }
            #expect(error.code == .engineUnavailable)
            #expect(error.message.contains("\(host) (DOCKER_HOST)"), "\(error.message)")
            #expect(error.message.contains("correct or unset DOCKER_HOST"), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func withNothingPointedAtItSaysWhatWasTried() async throws {
        // Where prewarm looks outside HOME and XDG_RUNTIME_DIR: a machine with an engine there skips this test.
        let system = ["/var/run/docker.sock", "/var/run/finch.sock", "/run/podman/podman.sock"]
        guard !system.contains(where: { FileManager.default.fileExists(atPath: $0) }) else { return }
        let home = try TemporaryDirectory("pw-none")
        defer { home.remove() }
        let discovery = EngineDiscovery(environment: ["XDG_RUNTIME_DIR": home.path + "/run"], homeDirectory: home.path)
        guard case .none(let tried) = try await discovery.discover(option: nil) else {
            Issue.record("an engine was found")
            return
        }
        #expect(tried.first == "/var/run/docker.sock: no such socket")
        #expect(tried.contains("/var/run/finch.sock: no such socket"))
        #expect(tried.contains("\(home.path)/run/podman/podman.sock: no such socket"))
        #expect(tried.contains("\(home.path)/.colima/default/docker.sock: no such socket"))
    }

    @Test func podmansRootlessSocketUnderXDGRuntimeDirIsFound() async throws {
        guard let podman = DockerContexts.required("PREWARM_TEST_PODMAN_HOST") else { return }
        let system = ["/var/run/docker.sock", "/var/run/finch.sock"]
        guard !system.contains(where: { FileManager.default.fileExists(atPath: $0) }) else { return }
        let runtime = try TemporaryDirectory("pw-xdg")
        defer { runtime.remove() }
        try FileManager.default.createDirectory(atPath: runtime.path + "/podman", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: runtime.path + "/podman/podman.sock", withDestinationPath: String(podman.dropFirst("unix://".count))
        )
        let discovery = EngineDiscovery(environment: ["XDG_RUNTIME_DIR": runtime.path], homeDirectory: runtime.path)
        guard case .found(let engine, let candidate, let tried) = try await discovery.discover(option: nil) else {
            Issue.record("podman's socket under XDG_RUNTIME_DIR was not found")
            return
        }
        #expect(engine.product == .podman)
        #expect(candidate.origin == "Podman's rootless socket")
        #expect(!candidate.isExplicit)
        #expect(candidate.endpoint.socketPath == runtime.path + "/podman/podman.sock")
        #expect(!candidate.samLooksHere)
        #expect(tried.count == 2, "docker's and finch's sockets first: \(tried)")
    }

    @Test func aContextPointingAtDockerdIsUsed() async throws {
        guard let docker = DockerContexts.required("PREWARM_TEST_DOCKER_HOST") else { return }
        let home = try TemporaryDirectory("pw-ctx-d")
        defer { home.remove() }
        try DockerContexts.write("test-engine", host: docker, config: home.path + "/docker-config")
        try home.write("docker-config/config.json", #"{"auths": {}, "currentContext": "test-engine"}"#)
        let discovery = EngineDiscovery(
            environment: ["DOCKER_CONFIG": home.path + "/docker-config"], homeDirectory: home.path)
        guard case .found(let engine, let candidate, _) = try await discovery.discover(option: nil) else {
            Issue.record("the context's engine was not found")
            return
        }
        #expect(engine.product == .docker)
        #expect(candidate.endpoint.description == docker)
        #expect(candidate.origin.hasPrefix("docker context 'test-engine' from currentContext in "))
    }

    @Test func dockerdWithTLSVerifyIsReachedWithTheClientCertificate() async throws {
        guard let host = DockerContexts.required("PREWARM_TEST_DOCKER_TLS_HOST"),
            let certificates = DockerContexts.required("PREWARM_TEST_DOCKER_CERT_PATH")
        else { return }
        let discovery = EngineDiscovery(
            environment: ["DOCKER_HOST": host, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": certificates],
            homeDirectory: "/nonexistent")
        guard case .found(let engine, let candidate, _) = try await discovery.discover(option: nil) else {
            Issue.record("no engine")
            return
        }
        #expect(engine.product == .docker)
        #expect(candidate.endpoint.baseURL.hasPrefix("https://127.0.0.1:"))
        #expect(try await engine.image(named: "public.ecr.aws/lambda/python:3.12-x86_64") != nil)

        // Plain HTTP to the TLS port, as before: refused, and an error rather than a fallback.
        let plain = EngineDiscovery(environment: ["DOCKER_HOST": host], homeDirectory: "/nonexistent")
        let error = try await #require(throws: EngineError.self) { _ = try await plain.discover(option: nil) }
        #expect(error.message.contains("HTTP 400"), "\(error.message)")
        // Without the client certificate, dockerd refuses the handshake.
        let anonymous = EngineDiscovery(
            environment: ["DOCKER_HOST": host, "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/nonexistent"],
            homeDirectory: "/nonexistent")
        _ = try await #require(throws: EngineError.self) { _ = try await anonymous.discover(option: nil) }
    }
}
