import Foundation

/// The options of a run, as the journal records them (`RunRecord.optionsJSON`): written by
/// `BuildSession.run`, read back by `resume` (what to continue with), `gc` (which images a `--for-sam` run
/// named) and `runs` (which engine). One type for both directions, so that a field cannot be written
/// under one name and read under another.
///
/// Every field is optional: a run recorded by another version, or by a program that wrote other
/// options, is read as far as it goes.
package struct RecordedRunOptions: Codable, Sendable, Equatable {
    /// The architectures asked for (`--arch`); empty: the template's.
    package var arch: [String]?
    /// The functions asked for (`--function`); empty: all.
    package var functions: [String]?
    package var jobs: Int?
    package var downloadJobs: Int?
    package var pull: Bool?
    package var force: Bool?
    /// The run this one resumed.
    package var resumeOf: Int64?
    /// Which engine, and where (`docker at unix:///…`, `oci store at /…`).
    package var engine: String?
    /// Whether the images are named after the `--for-sam` derived template (`EngineCleanup` keeps them).
    package var forSAM: Bool?

    package init(
        arch: [String]? = nil, functions: [String]? = nil, jobs: Int? = nil, downloadJobs: Int? = nil,
        pull: Bool? = nil, force: Bool? = nil, resumeOf: Int64? = nil, engine: String? = nil, forSAM: Bool? = nil
    ) {
        self.arch = arch
        self.functions = functions
        self.jobs = jobs
        self.downloadJobs = downloadJobs
        self.pull = pull
        self.force = force
        self.resumeOf = resumeOf
        self.engine = engine
        self.forSAM = forSAM
    }

    /// The options recorded as `json`; `nil` when it is not a JSON object of them.
    package init?(json: String) {
        guard let options = try? JSONDecoder().decode(Self.self, from: Data(json.utf8)) else { return nil }
        self = options
    }

    /// One line of JSON, keys sorted, as the journal stores it (fields that are `nil` left out).
    package var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
