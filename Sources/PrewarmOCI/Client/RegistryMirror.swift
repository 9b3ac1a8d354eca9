import PrewarmSupport

/// A registry mirror (`--registry-mirror FROM=TO`): images of registry `FROM` are pulled from `TO`
/// instead, such as a pull-through cache or a private copy.
///
/// Each side is a host with an optional port and path prefix. `public.ecr.aws=127.0.0.1:5000` pulls
/// `public.ecr.aws/lambda/python:3.12` as `127.0.0.1:5000/lambda/python:3.12`;
/// `public.ecr.aws/lambda=mirror.example.com/ecr` pulls it as `mirror.example.com/ecr/python:3.12`.
public struct RegistryMirror: Sendable, Hashable, CustomStringConvertible {
    /// The registry, and optional repository prefix, whose images are mirrored: `public.ecr.aws`.
    public var fromRegistry: String
    public var fromPrefix: String
    /// Where they are pulled from instead: `127.0.0.1:5000`, with an optional repository prefix.
    public var toRegistry: String
    public var toPrefix: String

    /// Reads `FROM=TO`.
    ///
    /// - Throws: `RegistryError` with code `.invalidReference` naming `text` and the form to write.
    public init(_ text: String) throws {
        func invalid(_ why: String) -> RegistryError {
            RegistryError(
                .invalidReference,
                "cannot read registry mirror '\(text)': \(why); write FROM=TO, e.g. public.ecr.aws=127.0.0.1:5000")
        }
        let sides = text.split(separator: "=", omittingEmptySubsequences: false).map(String.init)
        guard sides.count == 2 else { throw invalid("expected exactly one '='") }
        func side(_ text: String, _ name: String) throws -> (String, String) {
            var text = Substring(text)
            for scheme in ["https://", "http://"] where text.hasPrefix(scheme) { text = text.dropFirst(scheme.count) }
            while text.hasSuffix("/") { text = text.dropLast() }
            let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let host = parts.first, !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "@" }) else {
                throw invalid("\(name) has no registry host")
            }
            if !host.hasSuffix("]"), let colon = host.lastIndex(of: ":") {
                let port = host[host.index(after: colon)...]
                guard let number = Int(port), (1...65535).contains(number) else {
                    throw invalid("\(name) has a port that is not a number from 1 to 65535")
                }
            }
            let prefix = parts.count > 1 ? parts[1] : ""
            if prefix.split(separator: "/", omittingEmptySubsequences: false).contains(where: \.isEmpty),
                !prefix.isEmpty
            {
                throw invalid("\(name) has an empty path component")
            }
            return (host == "index.docker.io" ? ImageReference.dockerHub : host, prefix)
        }
        (fromRegistry, fromPrefix) = try side(sides[0], "FROM")
        (toRegistry, toPrefix) = try side(sides[1], "TO")
    }

    /// Whether this mirror serves `reference`.
    public func matches(_ reference: ImageReference) -> Bool {
        guard reference.registry == fromRegistry else { return false }
        return fromPrefix.isEmpty || reference.repository == fromPrefix
            || reference.repository.hasPrefix(fromPrefix + "/")
    }

    /// `reference` as found on the mirror; `reference` itself when the mirror does not serve it.
    public func apply(to reference: ImageReference) -> ImageReference {
        guard matches(reference) else { return reference }
        var rest = String(reference.repository.dropFirst(fromPrefix.count))
        if rest.hasPrefix("/") { rest.removeFirst() }
        let repository = [toPrefix, rest].filter { !$0.isEmpty }.joined(separator: "/")
        return ImageReference(
            registry: toRegistry, repository: repository, tag: reference.tag, digest: reference.digest)
    }

    /// `FROM=TO` as it would be written.
    public var description: String {
        let from = fromPrefix.isEmpty ? fromRegistry : "\(fromRegistry)/\(fromPrefix)"
        let to = toPrefix.isEmpty ? toRegistry : "\(toRegistry)/\(toPrefix)"
        return "\(from)=\(to)"
    }

    /// `reference` after the first mirror in `mirrors` that serves it; `reference` when none does.
    public static func resolve(_ reference: ImageReference, with mirrors: [RegistryMirror]) -> ImageReference {
        mirrors.first { $0.matches(reference) }?.apply(to: reference) ?? reference
    }
}
