import Foundation
import PrewarmArchive
import PrewarmSupport

/// The build context of one local-invoke image, written by prewarm so that building it needs
/// no `RUN` step (and so no container and no emulator for the other architecture).
///
/// The context holds a Dockerfile of `FROM <base>` and one `COPY rootfs/ /`, and `rootfs/`
/// holds the Lambda runtime interface emulator at `var/rapid/aws-lambda-rie` (mode 0755) and
/// the function's layers merged under `opt/`, a later layer's files overwriting an earlier
/// one's, as SAM CLI's `cp -rf` does: the base image plus exactly one layer, for engines that build
/// from a context (Podman) or must run a base's `ONBUILD` steps. Docker's load and the OCI store
/// instead take one layer with the emulator and one per Lambda layer (``addEmulator(_:to:under:)``,
/// ``addLambdaLayer(_:to:)``), whose overlay gives the same files.
/// Entries are sorted and carry no times or owners, so the same inputs give the same bytes.
public struct BuildContext: Sendable {
    /// The `FROM` image.
    public var baseImage: String
    /// The emulator binary for the image's architecture.
    public var emulator: String
    /// Directories holding each layer's files (what goes under `/opt`), in the order applied.
    public var layers: [String]

    public init(baseImage: String, emulator: String, layers: [String]) {
        self.baseImage = baseImage
        self.emulator = emulator
        self.layers = layers
    }

    /// The Dockerfile: `FROM` and one `COPY`, nothing that runs.
    public var dockerfile: String {
        "FROM \(baseImage)\nCOPY rootfs/ /\n"
    }

    /// Writes the build context as a tar archive to `path`, replacing it.
    ///
    /// - Returns: the number of bytes written.
    /// - Throws: `EngineError` with code `.missingEmulator` when the emulator is not a file,
    ///   `.notFound` when a layer directory is missing, `.io` when reading or writing fails.
    @discardableResult
    public func write(to path: String) throws -> UInt64 {
        try write(to: path, as: .dockerfileContext)
    }

    /// What an engine sends: a build context, or the image layer itself. Which one is the
    /// engine's business (see `DockerEngine`), never its callers'.
    package enum Form: Sendable {
        /// `Dockerfile` and `rootfs/…`, for an engine to build.
        case dockerfileContext
        /// The layer's files at the archive's root (`var/rapid/…`, `opt/…`), to load as the
        /// image's one new layer.
        case layer
    }

    /// Writes the context, or the bare layer, as a tar archive to `path`, replacing it.
    ///
    /// - Returns: the number of bytes written.
    /// - Throws: as `write(to:)`.
    @discardableResult
    package func write(to path: String, as form: Form) throws -> UInt64 {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: emulator, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw EngineError(.missingEmulator, "no emulator at \(emulator)")
        }
        let files = try mergedLayers()
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let output = FileHandle(forWritingAtPath: path)
        else {
            throw EngineError(.io, "cannot create \(path)")
        }
        defer { try? output.close() }
        var tar = TarWriter(output: output)
        let root: String
        switch form {
        case .dockerfileContext:
            try tar.addFile("Dockerfile", contents: Data(dockerfile.utf8))
            try tar.addDirectory("rootfs")
            root = "rootfs/"
        case .layer:
            root = ""
        }
        try Self.addEmulator(emulator, to: &tar, under: root)
        if !layers.isEmpty {
            try tar.addDirectory(root + "opt")
            for (relative, entry) in files {
                let archivePath = root + "opt/" + relative
                switch entry {
                case .directory(let mode): try tar.addDirectory(archivePath, mode: mode)
                case .file(let source, let mode): try tar.addFile(archivePath, from: source, mode: mode)
                case .symlink(let target): try tar.addSymlink(archivePath, target: target)
                }
            }
        }
        try tar.finish()
        return tar.bytesWritten
    }

    // MARK: - One layer each

    /// Adds the emulator to `tar` at `var/rapid/aws-lambda-rie` (0755) under `root` (`""` or `rootfs/`):
    /// the whole of an emulator layer when `root` is empty.
    static func addEmulator(_ emulator: String, to tar: inout TarWriter, under root: String = "") throws {
        try tar.addDirectory(root + "var")
        try tar.addDirectory(root + "var/rapid")
        try tar.addFile(root + "var/rapid/aws-lambda-rie", from: emulator, mode: 0o755)
    }

    /// Adds one Lambda layer's files to `tar` under `opt/`, sorted: the image layer of that Lambda layer, the
    /// same bytes whichever image it is in (the Docker engine's load and the OCI store both use it).
    static func addLambdaLayer(_ directory: String, to tar: inout TarWriter) throws {
        let entries = try DirectoryEntry.entries(of: directory).sorted {
            $0.0.utf8.lexicographicallyPrecedes($1.0.utf8)
        }
        try tar.addDirectory("opt")
        for (relative, entry) in entries {
            switch entry {
            case .directory(let mode): try tar.addDirectory("opt/" + relative, mode: mode)
            case .file(let source, let mode): try tar.addFile("opt/" + relative, from: source, mode: mode)
            case .symlink(let target): try tar.addSymlink("opt/" + relative, target: target)
            }
        }
    }

    // MARK: - Merging layers

    /// Every path under `/opt` after applying the layers in order, sorted by path.
    func mergedLayers() throws -> [(String, DirectoryEntry)] {
        var merged: [String: DirectoryEntry] = [:]
        for layer in layers {
            for (path, entry) in try DirectoryEntry.entries(of: layer) {
                if case .directory = entry, case .directory = merged[path] {
                    merged[path] = entry
                    continue
                }
                if merged[path] != nil, case .directory = merged[path] {
                    // A file or link replaces a directory: the directory's contents go with it.
                    let prefix = path + "/"
                    for key in merged.keys where key.hasPrefix(prefix) { merged.removeValue(forKey: key) }
                }
                merged[path] = entry
            }
        }
        return merged.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
    }
}
