import Foundation
import PrewarmPlan
import PrewarmSAMConfig
import PrewarmSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a plan's images are made from on disk, and whether it changed: the template files under
/// the template's directory (`*.yaml`, `*.yml`, `*.json`, nested templates included; not `.prewarm`
/// or `.aws-sam`), every local layer's directory or zip, and, for a template `sam build` wrote, its
/// `build.toml`.
///
/// It looks by polling (path, size, modification time, mode, inode of every file), which works
/// the same on every file system and needs no descriptor per directory.
package struct SourceWatcher: Sendable {
    /// The files and directories watched.
    package let roots: [String]
    let templateDirectory: String
    let templatePath: String
    /// `build.toml` of the build that wrote the template; `nil` for a source template.
    let buildRecord: String?

    /// Watches the template at `templatePath` and the local layers at `layers`.
    package init(templatePath: String, layers: [String] = []) {
        let template = URL(fileURLWithPath: templatePath).standardizedFileURL
        self.templatePath = template.path
        templateDirectory = template.deletingLastPathComponent().path
        buildRecord = SAMBuildRecord.recordPath(forBuiltTemplate: template.path)
        roots = [templateDirectory] + Array(Set(layers)).sorted() + (buildRecord.map { [$0] } ?? [])
    }

    package init(plan: Plan) {
        var layers: [String] = []
        for node in plan.graph.nodes {
            if case .layer(.local(let path)) = node.payload { layers.append(path) }
        }
        self.init(templatePath: plan.template, layers: layers)
    }

    /// A fingerprint of everything watched: equal fingerprints mean nothing changed.
    package func fingerprint() -> [String: String] {
        var result: [String: String] = [:]
        walk(templateDirectory, templatesOnly: true, into: &result)
        for root in roots.dropFirst() { walk(root, templatesOnly: false, into: &result) }
        return result
    }

    /// Whether the build that wrote the template has finished: `sam build` writes `build.toml` before it
    /// builds and the templates last, so a build under way has no template yet, or one older than its
    /// `build.toml`. Always `true` for a source template.
    package func buildIsComplete() -> Bool {
        guard let buildRecord else { return true }
        var template = stat()
        var record = stat()
        guard stat(templatePath, &template) == 0 else { return false }
        guard stat(buildRecord, &record) == 0 else { return true }
        return (template.st_mtim.tv_sec, template.st_mtim.tv_nsec) >= (record.st_mtim.tv_sec, record.st_mtim.tv_nsec)
    }

    /// The paths whose fingerprint differs between `old` and `new`, sorted.
    package static func changes(from old: [String: String], to new: [String: String]) -> [String] {
        Set(old.keys).union(new.keys).filter { old[$0] != new[$0] }.sorted()
    }

    /// Waits until something watched changes and then stays unchanged for `quiet` (an editor's save
    /// is several writes), polling every `interval`.
    ///
    /// - Returns: the paths that changed since `since`.
    /// - Throws: `CancellationError` when the task is cancelled.
    package func nextChange(
        since: [String: String], interval: Duration = .milliseconds(300), quiet: Duration = .milliseconds(500)
    ) async throws -> (changed: [String], fingerprint: [String: String]) {
        var current = since
        while true {
            try await Task.sleep(for: interval)
            current = fingerprint()
            guard current != since else { continue }
            // Debounce: wait for the writes to settle, and for a `sam build` under way to finish.
            while true {
                try await Task.sleep(for: quiet)
                let settled = fingerprint()
                if settled == current, buildIsComplete() { break }
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
