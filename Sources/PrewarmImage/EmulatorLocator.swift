import Foundation
import PrewarmSupport

/// Finds the Lambda runtime interface emulator (`aws-lambda-rie-x86_64`, `aws-lambda-rie-arm64`)
/// that goes into every image at `/var/rapid/aws-lambda-rie`.
///
/// Where it looks, in order: the directory given (`BuildConfiguration.emulatorDirectory`, `--rie-dir`);
/// `$PREWARM_RIE_DIR`; the
/// `samcli/local/rapid/` directory of the SAM CLI that `sam` on `PATH` runs, which is where
/// SAM CLI itself takes it from.
public struct EmulatorLocator: Sendable {
    /// The directory given (or the template's `Metadata.Prewarm.EmulatorDirectory`), when there is one.
    public var directory: String?
    /// Where `directory` came from, for errors: ``EngineInput/emulatorDirectory`` unless told otherwise.
    public var directorySource: Message
    public var environment: [String: String]

    public init(
        directory: String? = nil, directorySource: Message = "\(EngineInput.emulatorDirectory)",
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.directory = directory
        self.directorySource = directorySource
        self.environment = environment
    }

    /// The file name of the emulator for `architecture` (`x86_64` or `arm64`).
    public static func fileName(for architecture: String) -> String {
        "aws-lambda-rie-\(architecture)"
    }

    /// The path of the emulator for `architecture`.
    ///
    /// - Throws: `EngineError` with code `.missingEmulator` that says where it looked and how
    ///   to provide one.
    public func emulator(for architecture: String) throws -> String {
        let name = Self.fileName(for: architecture)
        if let directory = directory ?? environment["PREWARM_RIE_DIR"] {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            guard FileManager.default.isReadableFile(atPath: path) else {
                let source: Message = self.directory != nil ? directorySource : "PREWARM_RIE_DIR"
                throw EngineError(
                    .missingEmulator,
                    "no \(name) in \(directory) (from \(source)): point \(EngineInput.emulatorDirectory) or PREWARM_RIE_DIR at a directory "
                        + "holding aws-lambda-rie-x86_64 and/or aws-lambda-rie-arm64, such as samcli/local/rapid/ of "
                        + "SAM CLI (pip install aws-sam-cli), or leave both unset to use the copy of the SAM CLI on PATH"
                )
            }
            return path
        }
        if let rapid = samCLIRapidDirectory() {
            let path = URL(fileURLWithPath: rapid).appendingPathComponent(name).path
            if FileManager.default.isReadableFile(atPath: path) { return path }
        }
        throw EngineError(
            .missingEmulator,
            "cannot find the Lambda runtime interface emulator (\(name)): pass \(EngineInput.emulatorDirectory) DIR or set PREWARM_RIE_DIR "
                + "to a directory holding it, or install SAM CLI (pip install aws-sam-cli), whose "
                + "samcli/local/rapid/ has it")
    }

    /// `samcli/local/rapid` of the SAM CLI installation that `sam` on `PATH` belongs to, or
    /// `nil` when there is no `sam` or its layout is not a Python environment.
    func samCLIRapidDirectory() -> String? {
        guard let sam = Self.which("sam", path: environment["PATH"] ?? "") else { return nil }
        var roots: [URL] = []
        // pip layout: <env>/bin/sam beside <env>/lib/pythonX.Y/site-packages/samcli.
        let resolved = URL(fileURLWithPath: sam).resolvingSymlinksInPath()
        roots.append(resolved.deletingLastPathComponent().deletingLastPathComponent())
        // The script's interpreter (#!/path/to/python) names its environment too.
        if let interpreter = Self.shebangInterpreter(of: resolved.path) {
            roots.append(URL(fileURLWithPath: interpreter).deletingLastPathComponent().deletingLastPathComponent())
        }
        for root in roots {
            for library in ["lib", "lib64"] {
                let libraryURL = root.appendingPathComponent(library)
                let versions = (try? FileManager.default.contentsOfDirectory(atPath: libraryURL.path)) ?? []
                for version in versions.sorted().reversed() where version.hasPrefix("python") {
                    let rapid = libraryURL.appendingPathComponent(version)
                        .appendingPathComponent("site-packages/samcli/local/rapid").path
                    if FileManager.default.fileExists(atPath: rapid) { return rapid }
                }
            }
        }
        return nil
    }

    static func which(_ name: String, path: String) -> String? {
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func shebangInterpreter(of script: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: script) else { return nil }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 512), head.starts(with: Array("#!".utf8)) else { return nil }
        let line = String(decoding: head.dropFirst(2).prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let interpreter = line.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init)
        guard let interpreter, interpreter.hasPrefix("/"), !interpreter.hasSuffix("/env") else { return nil }
        return interpreter
    }
}
