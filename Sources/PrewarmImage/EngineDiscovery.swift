import Crypto
import Foundation
import PrewarmSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds the Docker-compatible engine the user means, the way the docker CLI does, then at the sockets
/// SAM CLI and the usual engines listen on.
///
/// The engine the user points at, first that applies: the `option` (the `dockerHost` setting); `DOCKER_HOST` (with
/// `DOCKER_TLS_VERIFY`, `DOCKER_TLS` and `DOCKER_CERT_PATH`); the context `DOCKER_CONTEXT` names; the
/// `currentContext` of `$DOCKER_CONFIG/config.json` (`~/.docker`) — a context's endpoint and TLS files are
/// under `$DOCKER_CONFIG/contexts/meta|tls/<SHA-256 of its name>/`. An engine pointed at that does not
/// answer is an error, never a reason to look elsewhere.
///
/// When nothing points at an engine (or the context is `default`), these sockets are tried in order:
/// `/var/run/docker.sock` and `/var/run/finch.sock` (where SAM CLI 1.170 looks), Podman's
/// `$XDG_RUNTIME_DIR/podman/podman.sock` and `/run/podman/podman.sock`, Docker Desktop's
/// `~/.docker/run/docker.sock`, Colima's `~/.colima/default/docker.sock`. A socket that exists but
/// refuses permission is an error, not skipped. Nothing is read from the process's own environment or
/// home directory unless given: tests pass both.
public struct EngineDiscovery: Sendable {
    /// One place an engine may be, and who said so.
    public struct Candidate: Sendable, Hashable, CustomStringConvertible {
        /// Who named an endpoint.
        public enum Source: Sendable, Hashable, CustomStringConvertible {
            /// The engine the caller pointed at (``EngineInput/dockerHost``).
            case option
            /// `DOCKER_HOST`.
            case dockerHost
            /// A docker context, chosen by `chosenBy` (`DOCKER_CONTEXT`, or `config.json`'s `currentContext`).
            case context(name: String, chosenBy: String)
            /// One of the usual sockets, by what listens there (`Podman's rootless socket`).
            case socket(String)

            /// For messages: `DOCKER_HOST`, `docker context 'colima' from DOCKER_CONTEXT`, `Podman's rootless
            /// socket`; the option as ``EngineInput/dockerHost``.
            public var text: Message {
                switch self {
                case .option: "\(EngineInput.dockerHost)"
                case .dockerHost: "DOCKER_HOST"
                case .context(let name, let chosenBy): "docker context '\(name)' from \(chosenBy)"
                case .socket(let name): Message(name)
                }
            }

            /// ``text``, with the option named by its mention.
            public var description: String { text.description }
        }

        public var endpoint: DockerEngine.Endpoint
        public var source: Source
        /// Whether `sam local` finds images there on its own: it reads `DOCKER_HOST`, else
        /// `/var/run/docker.sock`, else `/var/run/finch.sock`, and no docker context.
        public var samLooksHere: Bool

        public init(endpoint: DockerEngine.Endpoint, source: Source, samLooksHere: Bool) {
            self.endpoint = endpoint
            self.source = source
            self.samLooksHere = samLooksHere
        }

        /// Whether the user pointed at it (a flag, a variable, a context): if it does not answer, that is an
        /// error.
        public var isExplicit: Bool {
            if case .socket = source { return false }
            return true
        }

        /// Where the endpoint came from, for messages: `DOCKER_HOST`, `docker context 'colima' from
        /// DOCKER_CONTEXT`, `Podman's rootless socket`.
        public var origin: String { source.description }

        /// What the user can change to point elsewhere.
        var fix: Message {
            switch source {
            case .option:
                "correct \(EngineInput.dockerHost), or leave it out to use DOCKER_HOST or the docker context"
            case .dockerHost: "correct or unset DOCKER_HOST"
            case .context: "switch contexts (docker context use default) or unset DOCKER_CONTEXT"
            case .socket: "point prewarm at an engine with \(EngineInput.dockerHost) or DOCKER_HOST"
            }
        }

        /// The endpoint and where it came from, with the option as ``EngineInput/dockerHost``.
        public var text: Message { "\(endpoint) (\(source.text))" }

        public var description: String { text.description }
    }

    /// What ``discover(option:)`` found.
    public enum Outcome: Sendable {
        /// An engine answered at `candidate`; `tried` lists the candidates before it that did not, with why.
        case found(DockerEngine, candidate: Candidate, tried: [String])
        /// Nothing points at an engine and none of the usual sockets answers; `tried` says, one entry per
        /// socket, what was found there.
        case none(tried: [String])
    }

    /// The environment variables, as given.
    public let environment: [String: String]
    /// The home directory that `~` stands for.
    public let homeDirectory: String

    /// - Parameters:
    ///   - environment: the variables to read; the process's own by default.
    ///   - homeDirectory: what `~` means; `HOME` from `environment`, else the user's home, by default.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, homeDirectory: String? = nil) {
        self.environment = environment
        self.homeDirectory = homeDirectory ?? environment["HOME"] ?? NSHomeDirectory()
    }

    /// The engine the user points at (see the type's documentation), or `nil` when nothing does.
    ///
    /// - Throws: `EngineError` with code `.engineUnavailable` for a host that cannot be read, a context that
    ///   does not exist or cannot be read; `.unsupported` for `ssh://`.
    public func explicitCandidate(option: String?) throws -> Candidate? {
        if let option {
            return try candidate(host: option, source: .option, tls: Self.environmentTLS(environment))
        }
        if let host = variable("DOCKER_HOST") {
            return try candidate(host: host, source: .dockerHost, tls: Self.environmentTLS(environment))
        }
        if let name = variable("DOCKER_CONTEXT") {
            return try contextCandidate(name, chosenBy: "DOCKER_CONTEXT")
        }
        let configPath = configDirectory + "/config.json"
        if let data = FileManager.default.contents(atPath: configPath),
            let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let name = config["currentContext"] as? String, !name.isEmpty
        {
            return try contextCandidate(name, chosenBy: "currentContext in \(configPath)")
        }
        return nil
    }

    /// The sockets tried when nothing points at an engine, in order.
    public func implicitCandidates() -> [Candidate] {
        var sockets: [(String, String, Bool)] = [
            ("/var/run/docker.sock", "Docker's default socket", true),
            ("/var/run/finch.sock", "Finch's socket", true),
        ]
        if let runtime = variable("XDG_RUNTIME_DIR") {
            sockets.append((runtime + "/podman/podman.sock", "Podman's rootless socket", false))
        }
        sockets += [
            ("/run/podman/podman.sock", "Podman's socket", false),
            (homeDirectory + "/.docker/run/docker.sock", "Docker Desktop's socket", false),
            (homeDirectory + "/.colima/default/docker.sock", "Colima's socket", false),
        ]
        return sockets.compactMap { path, origin, samLooks in
            (try? DockerEngine.Endpoint(host: "unix://" + path)).map {
                Candidate(endpoint: $0, source: .socket(origin), samLooksHere: samLooks)
            }
        }
    }

    /// The engine the user points at, else the first of the usual sockets that answers.
    ///
    /// - Returns: ``Outcome/none(tried:)`` only when nothing points at an engine and no usual socket has one.
    /// - Throws: `EngineError` with code `.engineUnavailable` (or `.unsupported`) when the engine pointed at
    ///   does not answer or cannot be used, or a usual socket exists but refuses permission; the message
    ///   names the endpoint, where it came from, what failed and what to do.
    public func discover(option: String?) async throws -> Outcome {
        if let explicit = try explicitCandidate(option: option) {
            return .found(try await connect(explicit), candidate: explicit, tried: [])
        }
        var tried: [String] = []
        for candidate in implicitCandidates() {
            guard let path = candidate.endpoint.socketPath else { continue }
            switch UnixSocket.connectError(path: path) {
            case .some(ENOENT):
                tried.append("\(path): no such socket")
                continue
            case .some(EACCES), .some(EPERM):
                throw permissionDenied(candidate)
            case .some(let code):
                tried.append("\(path): \(systemErrorMessage(code).lowercased())")
                continue
            case nil:
                break
            }
            do {
                return .found(try await DockerEngine(endpoint: candidate.endpoint), candidate: candidate, tried: tried)
            } catch let error as EngineError {
                tried.append("\(path): \(error.message)")
            }
        }
        return .none(tried: tried)
    }

    /// The engine ``discover(option:)`` finds, for a command that needs one (`--engine docker`, `--load`).
    ///
    /// - Throws: what ``discover(option:)`` throws, and `EngineError` with code `.engineUnavailable` listing
    ///   every socket tried when there is none.
    public func locate(option: String?) async throws -> (DockerEngine, Candidate) {
        switch try await discover(option: option) {
        case .found(let engine, let candidate, _):
            return (engine, candidate)
        case .none(let tried):
            throw EngineError(
                .engineUnavailable,
                "no Docker engine: DOCKER_HOST, DOCKER_CONTEXT and a docker context are not set, and none of "
                    + "the usual sockets answers (\(tried.joined(separator: "; "))); start one, or point prewarm "
                    + "at one with \(EngineInput.dockerHost) or DOCKER_HOST")
        }
    }

    /// Connects to an engine the user pointed at.
    ///
    /// - Throws: `EngineError` naming `candidate`'s origin and what to do.
    public func connect(_ candidate: Candidate) async throws -> DockerEngine {
        if let path = candidate.endpoint.socketPath {
            switch UnixSocket.connectError(path: path) {
            case .some(EACCES), .some(EPERM):
                throw permissionDenied(candidate)
            case .some(ENOENT):
                throw EngineError(
                    .engineUnavailable,
                    "no Docker engine at \(candidate.text): \(path) does not exist; start the engine, or "
                        + "\(candidate.fix)")
            case .some(let code):
                throw EngineError(
                    .engineUnavailable,
                    "no Docker engine answers at \(candidate.text): \(systemErrorMessage(code).lowercased()); start "
                        + "the engine, or \(candidate.fix)")
            case nil:
                break
            }
        }
        return try await DockerEngine(
            endpoint: candidate.endpoint, named: candidate.text, hint: "start the engine, or \(candidate.fix)")
    }

    private func permissionDenied(_ candidate: Candidate) -> EngineError {
        let path = candidate.endpoint.socketPath ?? "\(candidate.endpoint)"
        return EngineError(
            .engineUnavailable,
            "permission denied connecting to the Docker engine at \(candidate.text): this user may not use \(path); "
                + "add the user to the socket's group (for Docker: sudo usermod -aG docker $USER, then log in "
                + "again), or point prewarm at an engine of yours with \(EngineInput.dockerHost) or DOCKER_HOST")
    }

    private func candidate(host: String, source: Candidate.Source, tls: DockerEngine.Endpoint.TLS?) throws -> Candidate
    {
        do {
            let endpoint = try DockerEngine.Endpoint(host: host, tls: tls)
            return Candidate(endpoint: endpoint, source: source, samLooksHere: source == .dockerHost)
        } catch let error as EngineError {
            var named = error
            named.text = "\(source.text): \(error.text)"
            throw named
        }
    }

    /// The endpoint of the docker context `name`; `nil` for `default`, which stands for `DOCKER_HOST` and the
    /// default socket.
    private func contextCandidate(_ name: String, chosenBy: String) throws -> Candidate? {
        guard name != "default" else { return nil }
        let source = Candidate.Source.context(name: name, chosenBy: chosenBy)
        let origin = source.description
        let digest = Hex.string(SHA256.hash(data: Data(name.utf8)))
        let metaPath = "\(configDirectory)/contexts/meta/\(digest)/meta.json"
        guard let data = FileManager.default.contents(atPath: metaPath) else {
            throw EngineError(
                .engineUnavailable,
                "\(origin) does not exist: there is no \(metaPath); run `docker context ls`, or "
                    + "`docker context use default`")
        }
        guard let meta = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let endpoints = meta["Endpoints"] as? [String: Any], let docker = endpoints["docker"] as? [String: Any],
            let host = docker["Host"] as? String, !host.isEmpty
        else {
            throw EngineError(
                .engineUnavailable,
                "\(origin) cannot be used: \(metaPath) has no Endpoints.docker.Host; recreate it with "
                    + "`docker context create`")
        }
        let tlsDirectory = "\(configDirectory)/contexts/tls/\(digest)/docker"
        var tls: DockerEngine.Endpoint.TLS?
        if FileManager.default.fileExists(atPath: tlsDirectory) {
            tls = .init(directory: tlsDirectory, verify: !(docker["SkipTLSVerify"] as? Bool ?? false))
        }
        do {
            let endpoint = try DockerEngine.Endpoint(host: host, tls: tls)
            return Candidate(endpoint: endpoint, source: source, samLooksHere: false)
        } catch let error as EngineError {
            var named = error
            named.text = "\(origin) (\(metaPath)): \(error.text)"
            throw named
        }
    }

    /// `$DOCKER_CONFIG`, else `~/.docker`.
    private var configDirectory: String {
        variable("DOCKER_CONFIG") ?? homeDirectory + "/.docker"
    }

    private func variable(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// TLS as the docker CLI reads it from the environment for `DOCKER_HOST`: on when `DOCKER_TLS_VERIFY`
    /// or `DOCKER_TLS` is set (to anything), verifying only with `DOCKER_TLS_VERIFY`; the files from
    /// `DOCKER_CERT_PATH`, else `~/.docker`. `nil` when neither is set.
    static func environmentTLS(_ environment: [String: String]) -> DockerEngine.Endpoint.TLS? {
        let verify = !(environment["DOCKER_TLS_VERIFY"] ?? "").isEmpty
        guard verify || !(environment["DOCKER_TLS"] ?? "").isEmpty else { return nil }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let directory = environment["DOCKER_CERT_PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.docker"
        return .init(directory: directory, verify: verify)
    }
}
