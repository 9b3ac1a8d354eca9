import Foundation
import PrewarmHTTP
import PrewarmSupport

/// A client of the OCI distribution API (`/v2/`): pulls images into a ``RegistryBlobStore``, pushes them
/// and image indexes from one, and answers whether a registry has a tag (for a build cache).
///
/// Authentication follows the registry's `WWW-Authenticate` challenge: anonymous or credentialed bearer
/// tokens (public.ecr.aws, Docker Hub, ECR, Harbor) and basic auth (Distribution with htpasswd), with the
/// credentials of ``DockerCredentials``. Tokens are kept per registry and repository for the client's life.
/// Transient failures (connection failures, timeouts, truncated bodies, 408, 425, 429, 500, 502, 503, 504:
/// ``HTTPError/isTransient``) are retried with the configuration's ``RetryPolicy``, and what the client
/// throws after the last attempt is an `RegistryError` that is not transient. Every blob and pinned manifest is
/// checked against its digest before it is accepted. Neither errors nor anything else this client says
/// contain a credential or a token.
///
/// Registries on `localhost`, `127.0.0.0/8` and `::1`, and those in
/// ``Configuration/plainHTTPRegistries``, are spoken to over plain http; all others over https.
public actor RegistryClient {
    /// Where and how the client reaches registries.
    public struct Configuration: Sendable {
        /// Mirrors applied when pulling (the first that serves a reference wins); never when pushing or
        /// asking about tags.
        public var mirrors: [RegistryMirror]
        /// Where credentials come from.
        public var credentials: DockerCredentials
        /// When to retry a failed request.
        public var retry: RetryPolicy
        /// Registries (`host:port`, as in references) to reach over http rather than https, besides the
        /// loopback ones.
        public var plainHTTPRegistries: Set<String>
        /// How many blobs of one image are transferred at a time.
        public var maxConcurrentBlobs: Int

        public init(
            mirrors: [RegistryMirror] = [], credentials: DockerCredentials = DockerCredentials(),
            retry: RetryPolicy = .default, plainHTTPRegistries: Set<String> = [], maxConcurrentBlobs: Int = 4
        ) {
            self.mirrors = mirrors
            self.credentials = credentials
            self.retry = retry
            self.plainHTTPRegistries = plainHTTPRegistries
            self.maxConcurrentBlobs = max(1, maxConcurrentBlobs)
        }
    }

    /// What the client has transferred since it was created, for progress and for tests.
    public struct Statistics: Sendable, Hashable {
        /// Blobs downloaded, verified and handed to a store.
        public var blobsDownloaded = 0
        /// Bytes of those blobs.
        public var bytesDownloaded: Int64 = 0
        /// Blobs a pull did not fetch because the store had them.
        public var blobsAlreadyStored = 0
        /// Blobs a push did not send because the registry had them (`HEAD`).
        public var blobsAlreadyInRegistry = 0
        /// Blobs a push mounted from another repository of the same registry.
        public var blobsMounted = 0
        /// Blobs a push uploaded.
        public var blobsUploaded = 0
        /// Bytes of those blobs.
        public var bytesUploaded: Int64 = 0
        /// Manifests and indexes a push stored.
        public var manifestsPushed = 0
        /// Requests sent again after a transient failure.
        public var retries = 0

        public init() {}
    }

    /// What the client was created with.
    public let configuration: Configuration
    /// What the client has transferred so far.
    public private(set) var statistics = Statistics()

    let http: HTTPClient
    /// `Authorization` values by ``AccessScope/key``.
    var authorizations: [String: String] = [:]
    /// Authorizations being obtained, by ``AccessScope/key``.
    var pendingAuthorizations: [String: Task<String, any Error>] = [:]

    /// A client over `http` (one is made when `nil`).
    public init(configuration: Configuration = Configuration(), http: HTTPClient? = nil) {
        self.configuration = configuration
        self.http = http ?? HTTPClient()
    }

    // MARK: - URLs

    /// `http://host:port` or `https://host`, for a registry as named in references.
    func baseURL(_ registry: String) -> String {
        let host = registry == ImageReference.dockerHub ? ImageReference.dockerHubAPIHost : registry
        return
            "\(Self.usesPlainHTTP(host) || configuration.plainHTTPRegistries.contains(registry) ? "http" : "https")://\(host)"
    }

    /// Whether `host` (with an optional port) is a loopback address, reached over plain http.
    static func usesPlainHTTP(_ host: String) -> Bool {
        var name = Substring(host)
        if name.hasPrefix("[") {
            name = name.dropFirst().prefix { $0 != "]" }
        } else if let colon = name.lastIndex(of: ":") {
            name = name[..<colon]
        }
        return name == "localhost" || name == "::1" || name.hasPrefix("127.")
    }

    func url(_ reference: ImageReference, _ path: String) -> String {
        "\(baseURL(reference.registry))/v2/\(reference.repository)/\(path)"
    }

    /// `location` from a `Location` field made absolute against the registry: registries may answer with
    /// a path (`/v2/repo/blobs/uploads/uuid?_state=…`) or a full URL.
    func absolute(_ location: String, registry: String) -> String {
        if location.hasPrefix("http://") || location.hasPrefix("https://") { return location }
        if location.hasPrefix("/") { return baseURL(registry) + location }
        return baseURL(registry) + "/" + location
    }

    // MARK: - Sending

    /// What a request's access token must allow.
    struct AccessScope: Sendable, Hashable {
        /// The registry as named in references.
        var registry: String
        /// `repository:<name>:<actions>` scopes, the first for the repository itself.
        var scopes: [String]

        static func pull(_ reference: ImageReference) -> AccessScope {
            AccessScope(registry: reference.registry, scopes: ["repository:\(reference.repository):pull"])
        }

        static func push(_ reference: ImageReference, mountingFrom other: String? = nil) -> AccessScope {
            var scopes = ["repository:\(reference.repository):pull,push"]
            if let other, other != reference.repository { scopes.append("repository:\(other):pull") }
            return AccessScope(registry: reference.registry, scopes: scopes)
        }

        var key: String { "\(registry) \(scopes.joined(separator: " "))" }
    }

    /// How a response body is received.
    enum Transfer: Sendable {
        case buffered
        case download(path: String, offset: Int64)
    }

    /// A response held in memory or written to a file.
    enum Answer: Sendable {
        case response(HTTPResponse)
        case download(HTTPDownload)

        var status: Int {
            switch self {
            case .response(let response): response.status
            case .download(let download): download.status
            }
        }

        var headers: HTTPHeaders {
            switch self {
            case .response(let response): response.headers
            case .download(let download): download.headers
            }
        }

        var body: Data {
            switch self {
            case .response(let response): response.body
            case .download(let download): download.errorBody
            }
        }

        /// Throws ``HTTPError`` (with the server's explanation) unless the status is 2xx.
        func requireSuccess() throws {
            switch self {
            case .response(let response): try response.requireSuccess()
            case .download(let download): _ = try download.requireSuccess()
            }
        }
    }

    /// Sends `request` with the authorization `scope` needs, answering one 401 challenge, and retries
    /// transient failures (with `retry`, else the configuration's policy). `prepare` runs before each attempt (with the attempt's number) and may change
    /// the request, e.g. to resume a download.
    ///
    /// - Returns: the answer, whatever its status other than 401 and transient ones.
    /// - Throws: `RegistryError` with code `.unauthorized` for a 401 that credentials cannot answer; the
    ///   ``HTTPError`` of the last attempt when every attempt failed.
    func send(
        _ request: HTTPRequest, scope: AccessScope, transfer: Transfer = .buffered, retry: RetryPolicy? = nil,
        prepare: (@Sendable (Int, inout HTTPRequest, inout Transfer) -> Void)? = nil
    ) async throws -> Answer {
        let policy = retry ?? configuration.retry
        return try await policy.run { attempt in
            if attempt > 1 { statistics.retries += 1 }
            var request = request
            var transfer = transfer
            prepare?(attempt, &request, &transfer)
            let answer = try await sendAuthorized(request, scope: scope, transfer: transfer)
            if configuration.retry.transientStatuses.contains(answer.status) { try answer.requireSuccess() }
            return answer
        }
    }

    private func sendAuthorized(_ request: HTTPRequest, scope: AccessScope, transfer: Transfer) async throws -> Answer {
        var request = request
        if let authorization = authorizations[scope.key] {
            request.headers.replaceOrAdd(name: "Authorization", value: authorization)
        }
        let answer = try await sendOnce(request, transfer: transfer)
        guard answer.status == 401 else { return answer }
        let authorization = try await authorization(
            for: scope, replacing: request.headers["Authorization"], challenge: answer.headers["WWW-Authenticate"],
            request: request)
        request.headers.replaceOrAdd(name: "Authorization", value: authorization)
        let second = try await sendOnce(request, transfer: transfer)
        if second.status == 401 {
            let hasCredential = (try? await configuration.credentials.credential(for: scope.registry)) != nil
            throw unauthorized(scope: scope, request: request, credentialsRefused: hasCredential)
        }
        return second
    }

    /// A new `Authorization` value for `scope` after a 401 to a request sent with `sent`: the one another
    /// task obtained meanwhile, or the one it is obtaining, or a new one. Concurrent requests that meet
    /// the same challenge thus fetch one token.
    private func authorization(
        for scope: AccessScope, replacing sent: String?, challenge: String?, request: HTTPRequest
    )
        async throws -> String
    {
        if let cached = authorizations[scope.key], cached != sent { return cached }
        if let pending = pendingAuthorizations[scope.key] { return try await pending.value }
        let task = Task { try await self.authorize(scope: scope, challenge: challenge, request: request) }
        pendingAuthorizations[scope.key] = task
        defer { pendingAuthorizations[scope.key] = nil }
        let authorization = try await task.value
        authorizations[scope.key] = authorization
        return authorization
    }

    private func sendOnce(_ request: HTTPRequest, transfer: Transfer) async throws -> Answer {
        switch transfer {
        case .buffered:
            return .response(try await http.execute(request))
        case .download(let path, let offset):
            return .download(try await http.download(request, to: path, resumingAt: offset))
        }
    }

    // MARK: - Errors

    /// A registry error about `what` (an HTTP failure is the cause). It is never transient, whatever the
    /// cause: ``send(_:scope:transfer:retry:prepare:)`` has retried the transient causes already, and the
    /// scheduler must not do the node again on top of that (see `TransientError`).
    func registryError(_ what: String, _ error: any Error) -> any Error {
        if error is RegistryError || error is CancellationError { return error }
        return RegistryError(.registry, Message(what), cause: error)
    }

    /// Runs `work` for each of `items`, at most ``Configuration/maxConcurrentBlobs`` at a time.
    ///
    /// - Throws: the first error; the other tasks are cancelled.
    func forEachConcurrently<Item: Sendable>(
        _ items: [Item], _ work: @escaping @Sendable (Item) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = items[...]
            for _ in 0..<configuration.maxConcurrentBlobs {
                guard let item = pending.popFirst() else { break }
                group.addTask { try await work(item) }
            }
            while try await group.next() != nil {
                if let item = pending.popFirst() { group.addTask { try await work(item) } }
            }
        }
    }

    func count(_ update: (inout Statistics) -> Void) {
        update(&statistics)
    }
}
