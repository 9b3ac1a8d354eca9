import Foundation
import PrewarmHTTP
import PrewarmSupport

/// What the engine can say about itself and its images beyond building: for `prewarm doctor`
/// and `prewarm gc --engine docker`.
extension DockerEngine {
    /// An image as `GET /images/json` lists it.
    public typealias ImageSummary = PrewarmImage.ImageSummary

    /// Every image carrying the label `label` (any value), dangling ones included.
    ///
    /// - Throws: `EngineError` with code `.engineUnavailable` or `.engine` when the engine cannot be asked.
    public func images(labeled label: String) async throws -> [ImageSummary] {
        let filters = "{\"label\":[\"\(label)\"]}"
        return try await images(query: "all=0&filters=\(Self.escape(filters))", what: "images labelled \(label)")
    }

    /// Every image of the engine (not the intermediate ones of the classic builder), dangling ones included.
    ///
    /// - Throws: `EngineError` with code `.engineUnavailable` or `.engine` when the engine cannot be asked.
    public func allImages() async throws -> [ImageSummary] {
        try await images(query: "all=0", what: "images")
    }

    private func images(query: String, what: String) async throws -> [ImageSummary] {
        let response = try await send(HTTPRequest(url: url("/images/json?\(query)")), doing: "list images")
        guard response.isSuccess else { throw engineError(response, doing: "list \(what)") }
        let images = (try? JSONSerialization.jsonObject(with: response.body)) as? [[String: Any]] ?? []
        return images.compactMap { image in
            guard let id = image["Id"] as? String else { return nil }
            let names = (image["RepoTags"] as? [String] ?? []).filter { $0 != "<none>:<none>" }.map(Self.normalize)
            let labels = image["Labels"] as? [String: String] ?? [:]
            let created = (image["Created"] as? NSNumber)?.int64Value ?? 0
            let size = (image["Size"] as? NSNumber)?.int64Value ?? 0
            return ImageSummary(id: id, names: names, labels: labels, created: created, size: size)
        }
    }

    /// Removes the image `id` (not forced: an image a container uses stays, and the engine's
    /// refusal is thrown). Does nothing when there is no such image.
    ///
    /// - Throws: `EngineError` with code `.engine` carrying the engine's reason.
    public func removeImage(id: String) async throws {
        let response = try await send(
            HTTPRequest(method: .delete, url: url("/images/\(Self.escapePath(id))?noprune=0")), doing: "remove \(id)")
        guard response.isSuccess || response.status == 404 else { throw engineError(response, doing: "remove \(id)") }
    }

    /// The engine's clock, from the `Date` header of `/_ping` (never `nil`: the engine has a clock of its own).
    ///
    /// - Throws: `EngineError` with code `.engineUnavailable` when the engine does not answer, `.engine` when
    ///   it sends no date that can be read.
    public func clock() async throws -> Date? {
        let response = try await send(HTTPRequest(url: endpoint.baseURL + "/_ping"), doing: "ping")
        guard let header = response.headers["Date"] else {
            throw EngineError(.engine, "\(endpoint) sends no Date with /_ping")
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: header) else {
            throw EngineError(.engine, "\(endpoint) sends a Date with /_ping that is not one: \(header)")
        }
        return date
    }
}
