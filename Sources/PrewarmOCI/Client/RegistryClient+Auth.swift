import Foundation
import PrewarmHTTP
import PrewarmSupport

extension RegistryClient {
    /// A `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
    struct Challenge: Sendable, Hashable {
        /// `bearer` or `basic`, lowercased.
        var scheme: String
        var parameters: [String: String]

        /// Reads a challenge; `nil` when `text` has no scheme.
        init?(_ text: String) {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let space = trimmed.firstIndex(of: " ") ?? (trimmed.isEmpty ? nil : trimmed.endIndex) else {
                return nil
            }
            scheme = trimmed[..<space].lowercased()
            parameters = [:]
            var rest = trimmed[space...].drop { $0 == " " }
            while !rest.isEmpty {
                guard let equals = rest.firstIndex(of: "=") else { break }
                let name = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                rest = rest[rest.index(after: equals)...]
                var value = ""
                if rest.first == "\"" {
                    rest = rest.dropFirst()
                    var escaped = false
                    while let character = rest.first {
                        rest = rest.dropFirst()
                        if escaped {
                            value.append(character)
                            escaped = false
                        } else if character == "\\" {
                            escaped = true
                        } else if character == "\"" {
                            break
                        } else {
                            value.append(character)
                        }
                    }
                    rest = rest.drop { $0 != "," }
                } else {
                    value = String(rest.prefix { $0 != "," }).trimmingCharacters(in: .whitespaces)
                    rest = rest.drop { $0 != "," }
                }
                rest = rest.drop { $0 == "," || $0 == " " }
                parameters[name] = value
            }
        }
    }

    /// The `Authorization` value that answers `challenge` for `scope`, fetching a bearer token when the
    /// registry asks for one.
    ///
    /// - Throws: `RegistryError` with code `.unauthorized` when the registry needs credentials that are
    ///   missing or refused, or asks for a scheme this client does not speak.
    func authorize(scope: AccessScope, challenge header: String?, request: HTTPRequest) async throws -> String {
        let credential = try await configuration.credentials.credential(for: scope.registry)
        guard let header, let challenge = Challenge(header) else {
            throw unauthorized(scope: scope, request: request, credentialsRefused: credential != nil)
        }
        switch challenge.scheme {
        case "basic":
            guard case .basic(let username, let password)? = credential else {
                throw unauthorized(scope: scope, request: request, credentialsRefused: false)
            }
            return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        case "bearer":
            let token = try await bearerToken(
                challenge: challenge, scope: scope, credential: credential, request: request)
            return "Bearer " + token
        default:
            throw RegistryError(
                .unauthorized,
                "registry \(scope.registry) asks for \(challenge.scheme) authentication, which prewarm does not speak; use a registry with bearer or basic auth"
            )
        }
    }

    /// Fetches a token from the challenge's realm, with `credential` when there is one (anonymously else).
    private func bearerToken(
        challenge: Challenge, scope: AccessScope, credential: RegistryCredential?, request: HTTPRequest
    ) async throws -> String {
        guard let realm = challenge.parameters["realm"], realm.hasPrefix("http://") || realm.hasPrefix("https://")
        else {
            throw RegistryError(
                .registry,
                "registry \(scope.registry) sent a bearer challenge without an http(s) realm: cannot get a token")
        }
        var scopes = scope.scopes
        for offered in (challenge.parameters["scope"] ?? "").split(separator: " ").map(String.init)
        where !scopes.contains(offered) {
            scopes.append(offered)
        }
        var query: [(String, String)] = []
        if let service = challenge.parameters["service"] { query.append(("service", service)) }
        for scope in scopes { query.append(("scope", scope)) }
        var tokenRequest: HTTPRequest
        switch credential {
        case .identityToken(let refreshToken)?:
            let form =
                query + [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", "prewarm")]
            tokenRequest = HTTPRequest(
                method: .post, url: realm, headers: ["Content-Type": "application/x-www-form-urlencoded"],
                body: .text(Self.formEncode(form)))
        case .basic(let username, let password)?:
            tokenRequest = HTTPRequest(url: Self.appendQuery(realm, query))
            tokenRequest.headers.add(
                name: "Authorization", value: "Basic " + Data("\(username):\(password)".utf8).base64EncodedString())
        case nil:
            tokenRequest = HTTPRequest(url: Self.appendQuery(realm, query))
        }
        let response: HTTPResponse
        do {
            response = try await configuration.retry.run { _ in
                let response = try await http.execute(tokenRequest)
                if configuration.retry.transientStatuses.contains(response.status) { try response.requireSuccess() }
                return response
            }
        } catch {
            throw registryError("cannot get an access token for \(scope.registry) from \(realm)", error)
        }
        if response.status == 401 || response.status == 403 {
            throw unauthorized(scope: scope, request: request, credentialsRefused: credential != nil)
        }
        do {
            try response.requireSuccess()
        } catch {
            throw RegistryError(
                .registry, "cannot get an access token for \(scope.registry) from \(realm)", cause: error)
        }
        struct TokenAnswer: Decodable {
            var token: String?
            var access_token: String?
        }
        guard let answer = try? JSONDecoder().decode(TokenAnswer.self, from: response.body),
            let token = answer.token ?? answer.access_token, !token.isEmpty
        else {
            throw RegistryError(
                .registry,
                "the token service \(realm) of \(scope.registry) answered without a token; is the realm right?")
        }
        return token
    }

    /// The one-line error for a request the registry refused.
    func unauthorized(scope: AccessScope, request: HTTPRequest, credentialsRefused: Bool) -> RegistryError {
        let config = configuration.credentials.configPath ?? "~/.docker/config.json"
        let what = "\(request.method) \(URLRedaction.redact(request.url))"
        if credentialsRefused {
            return RegistryError(
                .unauthorized,
                "registry \(scope.registry) refused the credentials from \(config) for \(what) (401 Unauthorized): check them with `docker login \(scope.registry)` and that they may \(scope.scopes.joined(separator: ", "))"
            )
        }
        return RegistryError(
            .unauthorized,
            "registry \(scope.registry) requires credentials for \(what) (401 Unauthorized), and \(config) has none for it: run `docker login \(scope.registry)` or add them under auths in \(config)"
        )
    }

    static func appendQuery(_ url: String, _ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return url }
        return url + (url.contains("?") ? "&" : "?") + formEncode(items)
    }

    static func formEncode(_ items: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return items.map { name, value in
            let name = name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
            let value = value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
            return "\(name)=\(value)"
        }.joined(separator: "&")
    }
}
