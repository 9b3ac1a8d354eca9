import PrewarmSupport

/// A reference to an image in a registry: `[registry/]repository[:tag][@sha256:…]`, read as Docker does.
///
/// A first component with a `.` or a `:`, or `localhost`, names the registry; otherwise the image is on
/// Docker Hub (`docker.io`), where a one-component repository lives under `library/`. A reference with
/// neither tag nor digest means `:latest`.
///
/// ```swift
/// let python = try ImageReference("public.ecr.aws/lambda/python:3.12")
/// // registry "public.ecr.aws", repository "lambda/python", tag "3.12"
/// let busybox = try ImageReference("busybox")
/// // registry "docker.io", repository "library/busybox", tag "latest", API host "registry-1.docker.io"
/// ```
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// Docker Hub's name in references.
    public static let dockerHub = "docker.io"
    /// Where Docker Hub's distribution API answers.
    public static let dockerHubAPIHost = "registry-1.docker.io"

    /// The registry as named: `docker.io`, `public.ecr.aws`, `127.0.0.1:5000`.
    public var registry: String
    /// The repository's path: `library/busybox`, `lambda/python`.
    public var repository: String
    /// The tag; `nil` when the reference has only a digest.
    public var tag: String?
    /// The manifest's digest (`sha256:<64 hex>`), when the reference pins one.
    public var digest: String?

    /// A reference from its parts, without checking them.
    public init(registry: String, repository: String, tag: String? = nil, digest: String? = nil) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Reads `text`.
    ///
    /// - Throws: `RegistryError` with code `.invalidReference` naming `text` and what is wrong with it.
    public init(_ text: String) throws {
        func invalid(_ why: String) -> RegistryError {
            RegistryError(
                .invalidReference,
                "cannot read image reference '\(text)': \(why); write [registry/]repository[:tag][@sha256:digest]")
        }
        var rest = Substring(text)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let value = String(rest[rest.index(after: at)...])
            guard Self.isDigest(value) else { throw invalid("'\(value)' is not a sha256:<64 hex digits> digest") }
            digest = value
            rest = rest[..<at]
        }
        var tag: String?
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let value = String(rest[rest.index(after: colon)...])
            guard RegistryTag.isValid(value) else {
                throw invalid("'\(value)' is not a valid tag (letters, digits, '_', '.', '-'; at most 128)")
            }
            tag = value
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !components.isEmpty, !components.contains(where: \.isEmpty) else { throw invalid("it has no repository") }
        var registry = Self.dockerHub
        if components.count > 1,
            components[0].contains(".") || components[0].contains(":") || components[0] == "localhost"
        {
            registry = components.removeFirst()
        }
        if registry == "index.docker.io" { registry = Self.dockerHub }
        if registry == Self.dockerHub, components.count == 1 { components.insert("library", at: 0) }
        for component in components where !Self.isRepositoryComponent(component) {
            throw invalid("'\(component)' is not a valid repository name (lowercase letters, digits, '.', '_', '-')")
        }
        self.registry = registry
        self.repository = components.joined(separator: "/")
        self.tag = tag ?? (digest == nil ? "latest" : nil)
        self.digest = digest
    }

    /// The host (and port) whose `/v2/` API serves this registry: `registry-1.docker.io` for Docker Hub.
    public var apiHost: String {
        registry == Self.dockerHub ? Self.dockerHubAPIHost : registry
    }

    /// What to ask `/v2/<repository>/manifests/` for: the digest when there is one, else the tag.
    public var manifestReference: String {
        digest ?? tag ?? "latest"
    }

    /// The same repository with another tag and no digest.
    public func withTag(_ tag: String) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: tag, digest: nil)
    }

    /// The same repository pinned to `digest`, with no tag.
    public func withDigest(_ digest: String) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: nil, digest: digest)
    }

    /// `registry/repository[:tag][@digest]`, in full.
    public var description: String {
        var text = "\(registry)/\(repository)"
        if let tag { text += ":\(tag)" }
        if let digest { text += "@\(digest)" }
        return text
    }

    /// Whether `text` is `sha256:` followed by 64 lowercase hexadecimal digits.
    public static func isDigest(_ text: String) -> Bool {
        guard text.hasPrefix("sha256:") else { return false }
        let hex = text.utf8.dropFirst("sha256:".count)
        return hex.count == 64 && hex.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static func isRepositoryComponent(_ text: String) -> Bool {
        guard let first = text.utf8.first, let last = text.utf8.last else { return false }
        let alphanumeric: (UInt8) -> Bool = { (97...122).contains($0) || (48...57).contains($0) }
        let separator: (UInt8) -> Bool = {
            $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-")
        }
        return alphanumeric(first) && alphanumeric(last) && text.utf8.allSatisfy { alphanumeric($0) || separator($0) }
    }
}

/// Tags as registries accept them, and the tags prewarm gives to content keys.
public enum RegistryTag {
    /// Whether `text` matches `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= 128 else { return false }
        func word(_ byte: UInt8) -> Bool {
            (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte)
                || byte == UInt8(ascii: "_")
        }
        return word(first) && bytes.allSatisfy { word($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// The tag under which a build cache keeps the image of content key `key`: `pw-` and the key's first
    /// 64 hexadecimal digits (`sha256:` and any other prefix dropped, letters lowercased).
    ///
    /// - Throws: `RegistryError` with code `.invalidReference` when `key` has fewer than 16 hexadecimal digits
    ///   after its prefix, or other characters.
    public static func forContentKey(_ key: String) throws -> String {
        let hex = (key.split(separator: ":").last.map(String.init) ?? key).lowercased()
        let isHex = hex.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
        guard isHex, hex.utf8.count >= 16 else {
            throw RegistryError(
                .invalidReference,
                "cannot make a registry tag of content key '\(key)': expected [sha256:]<hexadecimal digits>")
        }
        return "pw-" + String(hex.prefix(64))
    }
}
