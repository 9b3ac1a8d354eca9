import Crypto
import Foundation
import PrewarmImage
import PrewarmOCI
import PrewarmSupport

/// A third `ImageEngine`, for tests: it keeps each image as a directory under `root` (its files under
/// `rootfs/`, its configuration in `image.json`) and its names in `names.json`. It builds by copying the
/// emulator and the layers' files, never pulls, and implements of the capabilities only what a store of
/// files on this machine has: a storage directory, listing and removing images by ID, and removing images
/// no name holds as unneeded content.
///
/// That a build, `doctor` and `gc` run with it, through the library and with nothing else changed, is the
/// proof that `ImageEngine` is the whole contract between prewarm and an engine (CONTRIBUTING.md, "Adding an
/// engine").
public final class DirectoryEngine: ImageEngine {
    /// What `image.json` holds.
    struct Record: Codable {
        var id: String
        var architecture: String
        var labels: [String: String]
        var diffIDs: [String]
        var created: Int64
    }

    /// The directory holding everything.
    public let root: String
    /// The names, guarded: `names.json` is read and written under this lock only.
    private let names = Locked(())

    /// Uses `root` (created when absent).
    public init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root + "/images", withIntermediateDirectories: true)
    }

    public var description: String { "directory engine at \(root)" }

    public var buildMethod: String? { "copies the emulator and the layers' files" }

    public var storageDirectory: String? { root }

    // MARK: - Setting up a test

    /// Adds a base image named `name` for `architecture` (`amd64`, `arm64`), with `labels`, holding one file.
    @discardableResult
    public func addBase(_ name: String, architecture: String, labels: [String: String] = [:]) throws -> String {
        let id = "sha256:" + Self.sha256("base \(name) \(architecture)")
        let record = Record(id: id, architecture: architecture, labels: labels, diffIDs: [id], created: 0)
        try write(record, files: [("etc/base", Data(name.utf8))])
        try updateNames { $0[name] = id }
        return id
    }

    // MARK: - ImageEngine

    public func image(named name: String) async throws -> EngineImage? {
        guard let id = try readNames()[name] else { return nil }
        return try engineImage(id)
    }

    public func prepareBase(_ reference: String, platform: OCIPlatform, pull: Bool) async throws -> EngineImage {
        guard let image = try await image(named: reference) else {
            throw EngineError(.missingBase, "base image \(reference) is not in \(description), which never pulls")
        }
        guard image.architecture == platform.architecture else {
            throw EngineError(.missingBase, "base image \(reference) is \(image.architecture), not \(platform)")
        }
        return image
    }

    public func build(_ request: ImageBuildRequest, output: @escaping @Sendable (String) -> Void) async throws
        -> EngineImage
    {
        guard let base = try await image(named: request.baseImage), base.architecture == request.platform.architecture
        else { throw EngineError(.missingBase, "base image \(request.baseImage) for \(request.platform) is missing") }
        guard let emulator = FileManager.default.contents(atPath: request.emulator.path) else {
            throw EngineError(.missingEmulator, "the emulator \(request.emulator.path) is not a file")
        }
        var files: [(String, Data)] = [("var/rapid/aws-lambda-rie", emulator)]
        var digests: [String] = []
        for layer in request.layers {
            guard let enumerator = FileManager.default.enumerator(atPath: layer.path) else {
                throw EngineError(.notFound, "layer directory \(layer.path) is missing")
            }
            var content = ""
            for case let relative as String in enumerator {
                if let data = FileManager.default.contents(atPath: layer.path + "/" + relative) {
                    files.append(("opt/" + relative, data))
                    content += "\(relative) \(Self.sha256(data))\n"
                }
            }
            digests.append(layer.contentDigest ?? "sha256:" + Self.sha256(content))
        }
        let labels = base.labels.merging(request.labels) { $1 }
        let key =
            ([base.id, Self.sha256(emulator)] + digests + labels.sorted { $0.key < $1.key }.map { "\($0)=\($1)" })
        let id = "sha256:" + Self.sha256(key.joined(separator: "\n"))
        let record = Record(
            id: id, architecture: base.architecture, labels: labels, diffIDs: base.diffIDs + [id],
            created: Int64(Date().timeIntervalSince1970))
        try write(record, files: files)
        output("wrote \(files.count) file(s) for \(request.name)")
        try updateNames { $0[request.name] = id }
        return try engineImage(id)
    }

    public func remove(_ name: String) async throws {
        try updateNames { $0[name] = nil }
    }

    public func names(inRepository repository: String) async throws -> [String] {
        try readNames().keys.filter { $0.hasPrefix(repository + ":") }.sorted()
    }

    // MARK: - Capabilities

    public func allImages() async throws -> [ImageSummary] {
        let names = try readNames()
        return try FileManager.default.contentsOfDirectory(atPath: root + "/images").sorted().map { hex in
            let record = try read("sha256:" + hex)
            return ImageSummary(
                id: record.id, names: names.filter { $0.value == record.id }.keys.sorted(), labels: record.labels,
                created: record.created, size: Self.size(of: directory(record.id)))
        }
    }

    public func images(labeled label: String) async throws -> [ImageSummary] {
        try await allImages().filter { $0.labels[label] != nil }
    }

    public func removeImage(id: String) async throws {
        try updateNames { names in names = names.filter { $0.value != id } }
        try? FileManager.default.removeItem(atPath: directory(id))
    }

    /// Images no name holds.
    public func unneededContent(olderThan gracePeriod: TimeInterval) async throws -> [StoredContent]? {
        try await allImages().filter(\.isDangling).map { StoredContent(kind: .blob, name: $0.id, bytes: $0.size) }
    }

    public func removeUnneededContent(olderThan gracePeriod: TimeInterval) async throws -> ContentRemoval? {
        let unneeded = try await unneededContent(olderThan: gracePeriod) ?? []
        for item in unneeded { try FileManager.default.removeItem(atPath: directory(item.name)) }
        return ContentRemoval(removed: unneeded.count, freedBytes: unneeded.map(\.bytes).reduce(0, +))
    }

    // MARK: - Files

    private func directory(_ id: String) -> String {
        root + "/images/" + id.dropFirst("sha256:".count)
    }

    private func write(_ record: Record, files: [(String, Data)]) throws {
        let directory = directory(record.id)
        for (path, data) in files {
            let url = URL(fileURLWithPath: directory + "/rootfs/" + path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
        }
        try JSONEncoder().encode(record).write(to: URL(fileURLWithPath: directory + "/image.json"))
    }

    private func read(_ id: String) throws -> Record {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory(id) + "/image.json"))
        return try JSONDecoder().decode(Record.self, from: data)
    }

    private func engineImage(_ id: String) throws -> EngineImage {
        let record = try read(id)
        return EngineImage(
            id: id, names: try readNames().filter { $0.value == id }.keys.sorted(), labels: record.labels,
            architecture: record.architecture, diffIDs: record.diffIDs)
    }

    private func readNames() throws -> [String: String] {
        try names.withLock { _ in try loadNames() }
    }

    private func updateNames(_ change: (inout [String: String]) -> Void) throws {
        try names.withLock { _ in
            var table = try loadNames()
            change(&table)
            try JSONEncoder().encode(table).write(to: URL(fileURLWithPath: root + "/names.json"), options: .atomic)
        }
    }

    private func loadNames() throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: root + "/names.json") else { return [:] }
        return try JSONDecoder().decode([String: String].self, from: data)
    }

    private static func sha256(_ text: String) -> String { sha256(Data(text.utf8)) }

    private static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    private static func size(of directory: String) -> Int64 {
        var total: Int64 = 0
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return 0 }
        for case let relative as String in enumerator {
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + relative)
            total += (attributes?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return total
    }
}
