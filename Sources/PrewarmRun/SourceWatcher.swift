import Foundation
import PrewarmPlan
import PrewarmSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a plan's images are made from on disk, and whether it changed: the template files under
/// the template's directory (`*.yaml`, `*.yml`, `*.json`, nested templates included; not `.prewarm`
/// or `.aws-sam`) and every local layer's directory or zip.
///
/// It looks by polling (path, size, modification time, mode, inode of every file), which works
/// the same on every file system and needs no descriptor per directory.
public struct SourceWatcher: Sendable {
    /// The files and directories watched.
    public let roots: [String]
    let templateDirectory: String

    public init(plan: Plan) {
        templateDirectory = URL(fileURLWithPath: plan.template).standardizedFileURL.deletingLastPathComponent().path
        var layers: [String] = []
        for node in plan.graph.nodes {
            if case .layer(.local(let path)) = node.payload { layers.append(path) }
        }
        roots = [templateDirectory] + Array(Set(layers)).sorted()
    }

    /// A fingerprint of everything watched: equal fingerprints mean nothing changed.
    public func fingerprint() -> [String: String] {
        var result: [String: String] = [:]
        walk(templateDirectory, templatesOnly: true, into: &result)
        for layer in roots.dropFirst() { walk(layer, templatesOnly: false, into: &result) }
        return result
    }

    /// The paths whose fingerprint differs between `old` and `new`, sorted.
    public static func changes(from old: [String: String], to new: [String: String]) -> [String] {
        Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
    }

    /// Waits until something watched changes and then stays unchanged for `quiet` (an editor's save
    /// is several writes), polling every `interval`.
    ///
    /// - Returns: the paths that changed since `since`.
    /// - Throws: `CancellationError` when the task is cancelled.
    public func nextChange(
        since: [String: String], interval: Duration = .milliseconds(300), quiet: Duration = .milliseconds(500)
    ) async throws -> (changed: [String], fingerprint: [String: String]) {
        var current = since
        while true {
            try await Task.sleep(for: interval)
            current = fingerprint()
            guard current != since else { continue }
            // Debounce: wait for the writes to settle.
            while true {
                try await Task.sleep(for: quiet)
                let settled = fingerprint()
                if settled == current { break }
                current = settled
            }
            let changed = Self.changes(from: since, to: current)
            if !changed.isEmpty { return (changed, current) }
        }
    }

    private func walk(_ root: String, templatesOnly: Bool, into result: inout [String: String]) {
        var pending = [root]
        while let path = pending.popLast() {
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            let kind = UInt32(status.st_mode) & UInt32(S_IFMT)
            if kind == UInt32(S_IFDIR) {
                let name = URL(fileURLWithPath: path).lastPathComponent
                if templatesOnly, path != root, [".prewarm", ".aws-sam", ".git", ".build"].contains(name) { continue }
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { continue }
                if !templatesOnly { result[path] = "d \(status.st_mode)" }
                pending += names.map { path + "/" + $0 }
                continue
            }
            if templatesOnly {
                let suffix = URL(fileURLWithPath: path).pathExtension.lowercased()
                guard ["yaml", "yml", "json"].contains(suffix) else { continue }
            }
            result[path] =
                "\(status.st_size) \(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec) \(status.st_mode) \(status.st_ino)"
        }
    }
}
