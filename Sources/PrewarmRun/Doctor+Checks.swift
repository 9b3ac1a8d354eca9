import Foundation
import PrewarmAWS
import PrewarmImage
import PrewarmLayers
import PrewarmPlan
import PrewarmSupport

// The checks of `Doctor` that are about this machine: caches, credentials, journal, clock, disk.
extension Doctor {
    func checkLayerCache(_ report: inout DoctorReport, plan: Plan) async {
        let directory = configuration.resolvedLayerCacheDirectory
        if let problem = Self.writableProblem(directory) {
            report.fail("layer cache", "\(directory): \(problem); pass \(Setting.layerCacheDirectory)")
            return
        }
        let store = LayerStore(baseDirectory: directory, maxExpandedSize: configuration.inputs.maxLayerSize)
        let (verified, missing) = LayerFetcher.verifiedLayers(of: plan.graph, in: store)
        report.pass("layer cache", "\(directory) is writable; \(verified.count) layer(s) by ARN cached")
        guard let first = missing.first else { return }
        do {
            let credentials = try await AWSEnvironment(environment: configuration.environment).resolveCredentials(
                for: first.text)
            report.pass(
                "AWS credentials", "\(missing.count) layer(s) to download, with credentials from \(credentials.source)")
        } catch {
            report.fail("AWS credentials", Message((error as? AWSError)?.message ?? "\(error)"))
        }
    }

    func checkJournal(_ report: inout DoctorReport, path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if let problem = Self.writableProblem(directory) {
            report.fail("journal", "\(directory): \(problem); pass \(Setting.journalPath)")
        } else {
            report.pass(
                "journal",
                "\(path)\(FileManager.default.fileExists(atPath: path) ? "" : " (created by the first build)")")
        }
    }

    /// The engine's clock against this machine's; no check for an engine on this machine's clock
    /// (``ImageEngine/clock()`` is `nil` without asking anything).
    func checkClock(_ report: inout DoctorReport, engine: any ImageEngine) async {
        let engineClock: Date
        do {
            guard let clock = try await engine.clock() else { return }
            engineClock = clock
        } catch {
            report.warn("clock", "the engine does not say its time")
            return
        }
        let skew = Date().timeIntervalSince(engineClock)
        if abs(skew) > 300 {
            report.warn(
                "clock",
                "this machine's clock is \(Int(skew.rounded())) s off the engine's; AWS refuses signatures "
                    + "more than 5 minutes off: set the clock")
        } else {
            report.pass("clock", "within \(Int(abs(skew).rounded(.up))) s of the engine's")
        }
    }

    /// Free space for the layer cache and, unless the build would use a Docker engine, for the engine's own
    /// storage: the OCI store `store`, or the directory an engine the program provided keeps its images in.
    func checkDisk(_ report: inout DoctorReport, engine: (any ImageEngine)?, store: String) {
        var paths = [configuration.resolvedLayerCacheDirectory]
        if configuration.engineSelection.provided != nil {
            if let directory = engine?.storageDirectory { paths.append(directory) }
        } else if configuration.effectiveEngine != .docker {
            paths.append(store)
        }
        for path in paths {
            guard let free = Self.freeBytes(nearest: path) else { continue }
            let text = Self.approximate(bytes: free)
            if free < 256 << 20 {
                report.fail("disk", "\(text) free for \(path); free some space")
            } else if free < 2 << 30 {
                report.warn("disk", "\(text) free for \(path)")
            } else {
                report.pass("disk", "\(text) free for \(path)")
            }
        }
    }

    // MARK: - Helpers

    /// Why `directory` (or, when absent, the nearest existing parent it would be created in) cannot
    /// be written; `nil` when it can.
    static func writableProblem(_ directory: String) -> String? {
        var candidate = URL(fileURLWithPath: directory).standardizedFileURL.path
        while !FileManager.default.fileExists(atPath: candidate) {
            let parent = URL(fileURLWithPath: candidate).deletingLastPathComponent().path
            if parent == candidate { return "no existing directory to create it in" }
            candidate = parent
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "\(candidate) is not a directory"
        }
        let probe = candidate + "/.prewarm-doctor-\(UUID().uuidString)"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { return "cannot write in \(candidate): \(systemErrorMessage())" }
        close(descriptor)
        unlink(probe)
        return nil
    }

    /// Free bytes on the file system holding `path` or its nearest existing parent.
    static func freeBytes(nearest path: String) -> Int64? {
        var candidate = URL(fileURLWithPath: path).standardizedFileURL.path
        while !FileManager.default.fileExists(atPath: candidate) {
            let parent = URL(fileURLWithPath: candidate).deletingLastPathComponent().path
            if parent == candidate { return nil }
            candidate = parent
        }
        var status = statvfs()
        guard statvfs(candidate, &status) == 0 else { return nil }
        return Int64(status.f_bavail) * Int64(status.f_frsize)
    }

    /// `12.3 GiB`, `512 MiB`: for people.
    static func approximate(bytes: Int64) -> String {
        let units: [(String, Double)] = [("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024)]
        for (name, size) in units where Double(bytes) >= size {
            return String(format: "%.1f %@", Double(bytes) / size, name)
        }
        return "\(bytes) bytes"
    }
}
