import Foundation
import PrewarmArchive
import PrewarmHTTP
import PrewarmOCI
import PrewarmSupport

// Reading the engine's answers and writing references into its URLs.
extension DockerEngine {
    /// Reads a stream of JSON lines (build or pull progress) to its end.
    ///
    /// - Returns: the engine's error message when a line carries `error`/`errorDetail` (the
    ///   engine still answered 200), or `nil` when the stream ended without one.
    static func drain(_ body: HTTPBody, output: @Sendable (String) -> Void) async throws -> String? {
        var failure: String?
        for try await line in body.lines {
            guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
                output(String(decoding: line, as: UTF8.self))
                continue
            }
            if let error = (object["errorDetail"] as? [String: Any])?["message"] as? String ?? object["error"]
                as? String
            {
                failure = failure ?? error.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let text = object["stream"] as? String ?? object["status"] as? String {
                for piece in text.split(separator: "\n") where !piece.trimmingCharacters(in: .whitespaces).isEmpty {
                    output(String(piece))
                }
            }
        }
        return failure
    }

    static func parseImage(_ data: Data, name: String) throws -> EngineImage {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let id = object["Id"] as? String
        else {
            throw EngineError(.engine, "the engine's description of \(name) is not the JSON of an image")
        }
        let config = object["Config"] as? [String: Any]
        let labels = config?["Labels"] as? [String: String] ?? [:]
        let tags = (object["RepoTags"] as? [String] ?? []).map(normalize)
        return EngineImage(
            id: id.hasPrefix("sha256:") ? id : "sha256:" + id, names: tags, labels: labels,
            architecture: object["Architecture"] as? String ?? "",
            diffIDs: (object["RootFS"] as? [String: Any])?["Layers"] as? [String] ?? [])
    }

    /// Podman's names as `sam local` writes them: `docker.io/x` → `x`, `localhost/x` → `x`.
    static func normalize(_ name: String) -> String {
        for prefix in ["docker.io/library/", "docker.io/", "localhost/"] where name.hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count))
        }
        return name
    }

    static func message(in body: Data) -> String? {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            let text = String(decoding: body.prefix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        return (object["message"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `repo:tag` → (`repo`, `tag`); a digest or a missing tag gives no tag. A registry port's
    /// colon is not a tag.
    static func splitReference(_ reference: String) -> (String, String?) {
        if reference.contains("@") { return (reference, nil) }
        guard let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") else {
            return (reference, nil)
        }
        return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
    }

    /// An image name in a URL path: its `/`, `:` and `@` stay as they are, as the Engine API expects.
    static func escapePath(_ name: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/:@")
        return name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The older of two API versions (`1.41` < `1.47`).
    static func older(_ a: String, _ b: String) -> String {
        let left = a.split(separator: ".").compactMap { Int($0) }
        let right = b.split(separator: ".").compactMap { Int($0) }
        return left.lexicographicallyPrecedes(right) ? a : b
    }
}
