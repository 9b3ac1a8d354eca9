import Crypto
import Foundation
import TOMLKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What `sam build` recorded about its last build in `build.toml`, beside its build directory
/// (`.aws-sam/build.toml` for `.aws-sam/build`; `samcli/lib/build/build_graph.py`): one definition per
/// group of functions or layer built together, with the source directory (`codeuri`) it was built from
/// and, for a build with `--cached`, the `source_hash` of that directory.
///
/// prewarm reads it to tell when the build is older than its sources: `sam local` then runs the old
/// build, and the user should run `sam build` again.
public struct SAMBuildRecord: Sendable {
    /// One build definition of `build.toml`.
    public struct Definition: Sendable, Hashable {
        /// `codeuri`: the source directory, relative to the directory `sam build` ran against.
        public var codeURI: String
        /// `source_hash`, when `sam build --cached` wrote one: SAM's ``SAMBuildRecord/directoryChecksum(_:)``
        /// of `codeURI`.
        public var sourceHash: String?
        /// The resources built from it: function names (`Child/Function`), or the layer's name.
        public var resources: [String]

        public init(codeURI: String, sourceHash: String?, resources: [String]) {
            self.codeURI = codeURI
            self.sourceHash = sourceHash
            self.resources = resources
        }
    }

    /// A definition whose sources changed after the build, and one file that shows it.
    public struct Stale: Sendable, Hashable {
        public var resources: [String]
        /// A changed file, relative to the source directory, when one can be named (a newer file); `nil`
        /// when only the `source_hash` differs (a file may have been removed).
        public var changedFile: String?

        public init(resources: [String], changedFile: String?) {
            self.resources = resources
            self.changedFile = changedFile
        }
    }

    /// The `build.toml` it was read from.
    public var path: String
    /// When `build.toml` was last written: `sam build` writes it before it builds.
    public var modified: Date
    public var definitions: [Definition]

    /// `build.toml` beside the build directory that holds `templatePath` (`P/.aws-sam/build.toml` for
    /// `P/.aws-sam/build/template.yaml`, or for a nested stack's `P/.aws-sam/build/Child/template.yaml`).
    public static func recordPath(forBuiltTemplate templatePath: String) -> String? {
        let components = URL(fileURLWithPath: templatePath).standardizedFileURL.pathComponents
        for index in components.indices.dropLast() where components[index] == ".aws-sam" {
            guard components[index + 1] == "build" else { continue }
            return NSString.path(withComponents: Array(components[...index]) + ["build.toml"])
        }
        return nil
    }

    /// Reads the record at `path`; `nil` when there is none.
    ///
    /// - Throws: ``SAMConfigError`` `.syntax` when the file is not TOML, `.unreadable` when it cannot be
    ///   read.
    public static func load(contentsOf path: String) throws -> SAMBuildRecord? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path),
            let text = String(data: data, encoding: .utf8),
            let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let modified = attributes[.modificationDate] as? Date
        else {
            throw SAMConfigError(.unreadable, "\(path): cannot be read")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw SAMConfigError(
                .syntax,
                "\(path):\(error.source.begin.line):\(error.source.begin.column): \(error.description); run `sam build`"
            )
        }
        var definitions: [Definition] = []
        for (section, resourcesKey) in [
            ("function_build_definitions", "functions"), ("layer_build_definitions", "layer"),
        ] {
            guard let group = table[section]?.table else { continue }
            for key in group.keys.sorted() {
                guard let entry = group[key]?.table, let codeURI = entry["codeuri"]?.string else { continue }
                let resources =
                    entry[resourcesKey]?.array.map { $0.compactMap(\.string) } ?? entry[resourcesKey]?.string.map {
                        [$0]
                    } ?? []
                let hash = entry["source_hash"]?.string
                definitions.append(
                    Definition(codeURI: codeURI, sourceHash: hash?.isEmpty == false ? hash : nil, resources: resources))
            }
        }
        return SAMBuildRecord(path: path, modified: modified, definitions: definitions)
    }

    /// The definitions whose sources changed since the build: with a `source_hash`, those whose
    /// ``directoryChecksum(_:)`` differs; without one, those with a file newer than `build.toml`. A source
    /// directory that does not exist (any more) is left out: there is nothing to compare.
    ///
    /// - Parameter baseDirectory: the directory `sam build` resolved `codeuri` against (the project's).
    public func staleDefinitions(baseDirectory: String) -> [Stale] {
        var stale: [Stale] = []
        for definition in definitions {
            let source =
                definition.codeURI.hasPrefix("/")
                ? definition.codeURI
                : URL(fileURLWithPath: baseDirectory).appendingPathComponent(definition.codeURI).standardizedFileURL
                    .path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else { continue }
            let newer = Self.newestFile(in: source, isDirectory: isDirectory.boolValue, after: modified)
            if let hash = definition.sourceHash, isDirectory.boolValue {
                guard let current = try? Self.directoryChecksum(source), current != hash else { continue }
                stale.append(Stale(resources: definition.resources, changedFile: newer))
            } else if let newer {
                stale.append(Stale(resources: definition.resources, changedFile: newer))
            }
        }
        return stale
    }

    /// SAM CLI's checksum of a source directory, as `sam build --cached` records it in `source_hash`
    /// (`dir_checksum(code_dir, ignore_list=[".aws-sam"], hash_generator=hashlib.sha256())` in
    /// `samcli/lib/utils/hash.py`): SHA-256 over, for each file in the order of its full path, the path
    /// relative to `directory` and the hex MD5 of its content. Directories and files named `.aws-sam` are
    /// left out; links are followed.
    ///
    /// - Throws: the file system's error when a file cannot be read.
    public static func directoryChecksum(_ directory: String) throws -> String {
        let root = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        var files: [String] = []
        var pending = [root]
        var visited: Set<String> = []
        while let current = pending.popLast() {
            // Links are followed, as os.walk(followlinks=True) does; a loop is walked once.
            guard visited.insert(URL(fileURLWithPath: current).resolvingSymlinksInPath().path).inserted else {
                continue
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: current)
            for name in names where name != ".aws-sam" {
                let path = current + "/" + name
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                if isDirectory.boolValue { pending.append(path) } else { files.append(path) }
            }
        }
        // Python sorts the paths by code point.
        files.sort { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        var hash = SHA256()
        for file in files {
            hash.update(data: Data(String(file.dropFirst(root.count + 1)).utf8))
            hash.update(data: Data(try md5Hex(of: file).utf8))
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    private static func md5Hex(of path: String) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var md5 = Insecure.MD5()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { md5.update(data: chunk) }
        return md5.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// A file under `path` (or `path` itself, for a file) modified after `date`, relative to `path`;
    /// `.aws-sam` is left out.
    private static func newestFile(in path: String, isDirectory: Bool, after date: Date) -> String? {
        let limit = date.timeIntervalSince1970
        func modified(_ file: String) -> Double? {
            var status = stat()
            guard stat(file, &status) == 0 else { return nil }
            return Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
        }
        guard isDirectory else {
            return (modified(path) ?? 0) > limit ? URL(fileURLWithPath: path).lastPathComponent : nil
        }
        guard let walker = FileManager.default.enumerator(atPath: path) else { return nil }
        var newest: (path: String, time: Double)?
        while let relative = walker.nextObject() as? String {
            if relative == ".aws-sam" || relative.hasSuffix("/.aws-sam") {
                walker.skipDescendants()
                continue
            }
            guard let time = modified(path + "/" + relative), time > limit, time > (newest?.time ?? 0) else {
                continue
            }
            newest = (relative, time)
        }
        return newest?.path
    }
}
