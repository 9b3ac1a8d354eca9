import Foundation

/// The build context of one local-invoke image, written by prewarm so that building it needs
/// no `RUN` step (and so no container and no emulator for the other architecture).
///
/// The context holds a Dockerfile of `FROM <base>` and one `COPY rootfs/ /`, and `rootfs/`
/// holds the Lambda runtime interface emulator at `var/rapid/aws-lambda-rie` (mode 0755) and
/// the function's layers merged under `opt/`, a later layer's files overwriting an earlier
/// one's, as SAM CLI's `cp -rf` does. The result is the base image plus exactly one layer.
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

    /// What to write: a build context for `POST /build`, or the image layer itself.
    public enum Form: Sendable {
        /// `Dockerfile` and `rootfs/…`, for an engine to build.
        case dockerfileContext
        /// The layer's files at the archive's root (`var/rapid/…`, `opt/…`), to load as the
        /// image's one new layer.
        case layer
        /// Nothing to write: the engine makes its own layers from the request's `emulator` and
        /// `layers` (one per source, shared between images). `write` writes the `.layer` form.
        case separateLayers
    }

    /// Writes the context (or the bare layer) as a tar archive to `path`, replacing it.
    ///
    /// - Returns: the number of bytes written.
    /// - Throws: `ImageError` with code `.missingEmulator` when the emulator is not a file,
    ///   `.layerContent` when a layer directory is missing, `.io` when reading or writing fails.
    @discardableResult
    public func write(to path: String, as form: Form = .dockerfileContext) throws -> UInt64 {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: emulator, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw ImageError(.missingEmulator, "no emulator at \(emulator)")
        }
        let files = try mergedLayers()
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let output = FileHandle(forWritingAtPath: path)
        else {
            throw ImageError(.io, "cannot create \(path)")
        }
        defer { try? output.close() }
        var tar = TarWriter(output: output)
        let root: String
        switch form {
        case .dockerfileContext:
            try tar.addFile("Dockerfile", contents: Data(dockerfile.utf8))
            try tar.addDirectory("rootfs")
            root = "rootfs/"
        case .layer, .separateLayers:
            root = ""
        }
        try tar.addDirectory(root + "var")
        try tar.addDirectory(root + "var/rapid")
        try tar.addFile(root + "var/rapid/aws-lambda-rie", from: emulator, mode: 0o755)
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

    // MARK: - Merging layers

    enum Entry: Equatable {
        case directory(mode: UInt32)
        case file(source: String, mode: UInt32)
        case symlink(target: String)
    }

    /// Every path under `/opt` after applying the layers in order, sorted by path.
    func mergedLayers() throws -> [(String, Entry)] {
        var merged: [String: Entry] = [:]
        for layer in layers {
            for (path, entry) in try Self.entries(of: layer) {
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

    /// The entries of one layer directory, relative to it, without following links.
    static func entries(of directory: String) throws -> [(String, Entry)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw ImageError(.layerContent, "layer directory \(directory) does not exist")
        }
        let manager = FileManager.default
        var result: [(String, Entry)] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? directory : directory + "/" + relative
            let names: [String]
            do {
                names = try manager.contentsOfDirectory(atPath: absolute)
            } catch {
                throw ImageError(.io, "cannot list \(absolute)", cause: error)
            }
            for name in names {
                let childRelative = relative.isEmpty ? name : relative + "/" + name
                let childAbsolute = absolute + "/" + name
                var status = stat()
                guard lstat(childAbsolute, &status) == 0 else {
                    throw ImageError(.io, "cannot read \(childAbsolute): \(String(cString: strerror(errno)))")
                }
                let mode = UInt32(status.st_mode) & 0o7777
                switch UInt32(status.st_mode) & UInt32(S_IFMT) {
                case UInt32(S_IFDIR):
                    result.append((childRelative, .directory(mode: mode)))
                    pending.append(childRelative)
                case UInt32(S_IFREG):
                    result.append((childRelative, .file(source: childAbsolute, mode: mode)))
                case UInt32(S_IFLNK):
                    let target: String
                    do {
                        target = try manager.destinationOfSymbolicLink(atPath: childAbsolute)
                    } catch {
                        throw ImageError(.io, "cannot read link \(childAbsolute)", cause: error)
                    }
                    result.append((childRelative, .symlink(target: target)))
                default:
                    throw ImageError(
                        .layerContent, "\(childAbsolute) is not a file, directory or link; a layer cannot hold it")
                }
            }
        }
        return result
    }
}
