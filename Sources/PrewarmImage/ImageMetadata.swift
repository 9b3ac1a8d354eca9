import Foundation
import PrewarmHTTP
import PrewarmOCI

/// The `created` time and the `history` of an image prewarm builds, chosen so that the same inputs give
/// the same configuration (and so the same image ID), yet `docker images` shows a sensible age and
/// `docker image prune --filter until=…` does not take a freshly pre-warmed image for an old one.
///
/// - `created`: `SOURCE_DATE_EPOCH` (seconds since 1970, the reproducible-builds convention) when set,
///   else the base image's own `created`, else 1970-01-01 (a base without one).
/// - `history`: one entry per layer: the base's own entries when they match its layers, else one per base
///   layer naming the base, then one per layer prewarm adds, each with the image's `created`.
enum ImageMetadata {
    /// The `created` of an image built on a base created at `baseCreated` (RFC 3339, as in a config).
    static func created(baseCreated: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> String
    {
        if let epoch = environment["SOURCE_DATE_EPOCH"].flatMap(Int.init), epoch >= 0 {
            return rfc3339(seconds: epoch)
        }
        if let baseCreated, !baseCreated.isEmpty, !baseCreated.hasPrefix("0001-01-01") { return baseCreated }
        return "1970-01-01T00:00:00Z"
    }

    /// `seconds` since 1970 as `YYYY-MM-DDTHH:MM:SSZ`.
    static func rfc3339(seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    /// What the history says of the layers prewarm adds on a base: the emulator's, then each Lambda layer's.
    static func addedHistory(lambdaLayers count: Int) -> [String] {
        ["prewarm: Lambda runtime interface emulator"]
            + (0..<count).map { "prewarm: Lambda layer \($0 + 1) of \(count)" }
    }

    /// The history of an image: `baseHistory` when it has one entry per base layer (entries with
    /// `empty_layer` do not count), else one entry per base layer naming `baseName`; then `added`.
    static func history(
        baseHistory: [OCIImageConfiguration.History], baseLayerCount: Int, baseName: String, baseCreated: String,
        added: [String], created: String
    ) -> [OCIImageConfiguration.History] {
        let layerEntries = baseHistory.filter { $0.emptyLayer != true }.count
        var history =
            layerEntries == baseLayerCount
            ? baseHistory
            : (0..<baseLayerCount).map { index in
                OCIImageConfiguration.History(
                    created: baseCreated, createdBy: "layer \(index + 1) of \(baseLayerCount) of \(baseName)")
            }
        for entry in added {
            history.append(OCIImageConfiguration.History(created: created, createdBy: entry, comment: "prewarm"))
        }
        return history
    }
}

extension OCIImageConfiguration.History {
    /// This entry as `JSONSerialization` writes it, for the configuration the Docker engine assembles.
    var jsonObject: [String: Any] {
        var object: [String: Any] = [:]
        if let created { object["created"] = created }
        if let createdBy { object["created_by"] = createdBy }
        if let author { object["author"] = author }
        if let comment { object["comment"] = comment }
        if let emptyLayer { object["empty_layer"] = emptyLayer }
        return object
    }
}

extension DockerEngine {
    /// The base's history in image-configuration form, oldest first, from `GET /images/NAME/history`
    /// (newest first there, times in seconds). Empty when the engine has none to give.
    func baseHistory(_ name: String) async throws -> [OCIImageConfiguration.History] {
        let response = try await send(
            HTTPRequest(url: url("/images/\(Self.escapePath(name))/history")), doing: "read the history of \(name)")
        guard response.isSuccess,
            let entries = (try? JSONSerialization.jsonObject(with: response.body)) as? [[String: Any]]
        else { return [] }
        return entries.reversed().map { entry in
            var converted = OCIImageConfiguration.History(
                created: ImageMetadata.rfc3339(seconds: (entry["Created"] as? Int) ?? 0),
                createdBy: entry["CreatedBy"] as? String ?? "")
            if let comment = entry["Comment"] as? String, !comment.isEmpty { converted.comment = comment }
            // The API does not say which entries made no layer; a size of 0 is the sign docker gives.
            if (entry["Size"] as? Int) == 0 { converted.emptyLayer = true }
            return converted
        }
    }
}
