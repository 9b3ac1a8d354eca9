import Foundation
import PrewarmSupport

/// What a registry is told to prove who is asking. Its `description` never shows the secret.
public enum RegistryCredential: Sendable, Hashable, CustomStringConvertible {
    /// A user name and password (or access token used as one), for basic auth or to obtain a bearer token.
    case basic(username: String, password: String)
    /// A refresh token from `docker login` with an identity provider (`identitytoken` in config.json),
    /// exchanged for a bearer token.
    case identityToken(String)

    public var description: String {
        switch self {
        case .basic(let username, _): "user \(username)"
        case .identityToken: "an identity token"
        }
    }
}

/// Credentials as `docker login` leaves them: `config.json` in `$DOCKER_CONFIG` or `~/.docker`.
///
/// For a registry host it reads, in order: `credHelpers.<host>` (runs `docker-credential-<helper> get`),
/// `auths.<host>` (`auth`, base64 of `user:password`; or `username` and `password`; or `identitytoken`),
/// then `credsStore` (runs `docker-credential-<store> get`). Docker Hub's entry is also found under
/// `https://index.docker.io/v1/`, and any entry under `https://host` or `http://host`.
public struct DockerCredentials: Sendable {
    /// The directory whose `config.json` is read; `nil` when there is none to read (no credentials).
    public var configDirectory: String?
    /// Where `docker-credential-*` helpers are looked for (a `PATH`).
    public var searchPath: String

    /// Credentials from `configDirectory`, else `$DOCKER_CONFIG`, else `$HOME/.docker`, with helpers from
    /// the environment's `PATH`.
    public init(configDirectory: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let configDirectory {
            self.configDirectory = configDirectory
        } else if let directory = environment["DOCKER_CONFIG"], !directory.isEmpty {
            self.configDirectory = directory
        } else if let home = environment["HOME"], !home.isEmpty {
            self.configDirectory = home + "/.docker"
        } else {
            self.configDirectory = nil
        }
        self.searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    }

    /// No credentials at all: every registry is asked anonymously.
    public static let none = DockerCredentials(noConfiguration: ())

    private init(noConfiguration: Void) {
        configDirectory = nil
        searchPath = ""
    }

    /// The path of the `config.json` read, whether it exists or not.
    public var configPath: String? {
        configDirectory.map { $0 + "/config.json" }
    }

    /// The credential for registry `host` (as in references: `docker.io`, `127.0.0.1:5000`).
    ///
    /// - Returns: `nil` when the configuration has none for `host` (or there is no configuration file).
    /// - Throws: `RegistryError` with code `.unauthorized` when the file cannot be read as JSON, or when it names
    ///   a credential helper that is not on `PATH` or that fails.
    public func credential(for host: String) async throws -> RegistryCredential? {
        guard let configPath, let data = FileManager.default.contents(atPath: configPath) else { return nil }
        let config: DockerConfigFile
        do {
            config = try JSONDecoder().decode(DockerConfigFile.self, from: data)
        } catch {
            throw RegistryError(
                .unauthorized, "cannot read \(configPath) for the credentials of \(host): it is not valid JSON; fix it",
                cause: error)
        }
        let keys = Self.keys(for: host)
        for key in keys {
            if let helper = config.credHelpers?[key] { return try await runHelper(helper, host: key) }
        }
        for key in keys {
            guard let entry = config.auths?[key] else { continue }
            if let token = entry.identitytoken, !token.isEmpty { return .identityToken(token) }
            if let auth = entry.auth, !auth.isEmpty {
                guard let decoded = Data(base64Encoded: auth).flatMap({ String(data: $0, encoding: .utf8) }),
                    let colon = decoded.firstIndex(of: ":")
                else {
                    throw RegistryError(
                        .unauthorized,
                        "the auth of \(key) in \(configPath) is not base64 of user:password; run `docker login \(host)` again"
                    )
                }
                return .basic(
                    username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]))
            }
            if let username = entry.username, let password = entry.password {
                return .basic(username: username, password: password)
            }
        }
        if let store = config.credsStore, !store.isEmpty {
            for key in keys {
                if let credential = try await runHelper(store, host: key) { return credential }
            }
        }
        return nil
    }

    /// The keys under which config.json may hold `host`'s credentials.
    static func keys(for host: String) -> [String] {
        var keys = [host, "https://\(host)", "http://\(host)", "https://\(host)/v1/", "https://\(host)/v2/"]
        if host == ImageReference.dockerHub || host == ImageReference.dockerHubAPIHost || host == "index.docker.io" {
            keys = ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"] + keys
        }
        return keys
    }

    /// Runs `docker-credential-<name> get` with `host` on its standard input.
    ///
    /// - Returns: `nil` when the helper has no credentials for `host`.
    private func runHelper(_ name: String, host: String) async throws -> RegistryCredential? {
        let program = "docker-credential-\(name)"
        let source = configPath ?? "config.json"
        guard
            let path = searchPath.split(separator: ":").map({ "\($0)/\(program)" }).first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else {
            throw RegistryError(
                .unauthorized,
                "\(source) names the credential helper \(program) for \(host), but it is not on PATH; install it, or replace it with credentials under auths"
            )
        }
        let result = try await HelperProcess.run(path, ["get"], input: Data(host.utf8))
        let output = String(data: result.output, encoding: .utf8) ?? ""
        if result.status != 0 {
            if output.lowercased().contains("credentials not found") { return nil }
            throw RegistryError(
                .unauthorized,
                "the credential helper \(program) failed for \(host) (exit \(result.status)): \(output.prefix(200).split(whereSeparator: \.isNewline).joined(separator: " "))"
            )
        }
        struct Answer: Decodable {
            var Username: String?
            var Secret: String?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: result.output), let secret = answer.Secret
        else {
            throw RegistryError(.unauthorized, "the credential helper \(program) answered for \(host) with no Secret")
        }
        if answer.Username == "<token>" { return .identityToken(secret) }
        return .basic(username: answer.Username ?? "", password: secret)
    }
}

/// The parts of Docker's config.json that hold credentials.
private struct DockerConfigFile: Decodable {
    struct Entry: Decodable {
        var auth: String?
        var username: String?
        var password: String?
        var identitytoken: String?
    }
    var auths: [String: Entry]?
    var credsStore: String?
    var credHelpers: [String: String]?
}

/// A helper program run to completion, with its standard output collected.
private enum HelperProcess {
    struct Result {
        var status: Int32
        var output: Data
    }

    static func run(_ executable: String, _ arguments: [String], input: Data) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        let status = try await withCheckedThrowingContinuation {
            (continuation: CheckedContinuation<Int32, any Error>) in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: RegistryError(.unauthorized, "cannot run \(executable)", cause: error))
                return
            }
            try? stdin.fileHandleForWriting.write(contentsOf: input)
            try? stdin.fileHandleForWriting.close()
        }
        let output: Data? = try? stdout.fileHandleForReading.readToEnd()
        return Result(status: status, output: output ?? Data())
    }
}
