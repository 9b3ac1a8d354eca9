import Foundation
import Testing

/// An image in a Docker-compatible engine as `Tests/Fixtures/engine/image_files.py` reads it through the
/// Engine API: its platform, the configuration `sam local` relies on, and every file of its merged
/// filesystem (a container made from it, exported, removed), with paths relative to the root
/// (`var/rapid/aws-lambda-rie`, `opt/python/x.py`, no trailing `/`).
public struct ImageFiles: Decodable, Sendable {
    /// One entry of the file table.
    public struct Entry: Decodable, Equatable, Sendable, CustomStringConvertible {
        public enum Kind: String, Decodable, Sendable {
            case file, directory, symlink, hardlink, other
        }

        public var type: Kind
        /// The permission bits, with setuid, setgid and sticky.
        public var mode: Int
        /// A regular file's size; 0 for anything else.
        public var size: Int
        /// A regular file's SHA-256, in hex; `nil` for anything else.
        public var sha256: String?
        /// A symbolic or hard link's target; `nil` for anything else.
        public var target: String?
        /// A regular file's text (UTF-8, bad bytes replaced) when it is at most 64 KiB; `nil` otherwise.
        public var text: String?

        public var description: String {
            "\(type.rawValue) \(String(mode, radix: 8)) \(size) \(sha256 ?? target ?? "")"
        }
    }

    /// The configuration fields the tests compare (`Config` of `GET /images/NAME/json`).
    public struct Configuration: Decodable, Equatable, Sendable {
        public var env: [String]?
        public var entrypoint: [String]?
        public var cmd: [String]?
        public var workingDir: String?

        enum CodingKeys: String, CodingKey {
            case env = "Env"
            case entrypoint = "Entrypoint"
            case cmd = "Cmd"
            case workingDir = "WorkingDir"
        }
    }

    /// The image ID, `sha256:…`.
    public var id: String
    /// The engine's architecture name: `amd64`, `arm64`.
    public var architecture: String
    /// The architecture variant, `""` when there is none.
    public var variant: String
    public var os: String
    public var config: Configuration
    /// The diff IDs of the image's layers, base first (`RootFS.Layers`).
    public var layers: [String]
    /// Path → entry; empty when read with `configurationOnly`.
    public var files: [String: Entry]

    /// The script that reads an image.
    public static var script: String { Fixtures.path("engine/image_files.py") }

    /// Reads `image` from the engine at `host` (`unix:///path`), files and all.
    ///
    /// Records a failed requirement (and throws) when the engine has no such image or the script fails.
    public static func read(
        _ image: String, host: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ImageFiles {
        let found = try await inspect(image, host: host, configurationOnly: false, sourceLocation: sourceLocation)
        return try #require(found, "the engine at \(host) has no image \(image)", sourceLocation: sourceLocation)
    }

    /// Whether the engine at `host` has `image` (by name or ID).
    public static func exists(
        _ image: String, host: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Bool {
        try await inspect(image, host: host, configurationOnly: true, sourceLocation: sourceLocation) != nil
    }

    /// Reads `image` from the engine at `host`; with `configurationOnly`, without its files.
    ///
    /// - Returns: `nil` when the engine has no such image.
    /// - Throws: a failed requirement when python3 is missing, the script fails, or its output is not
    ///   the JSON it documents.
    public static func inspect(
        _ image: String, host: String, configurationOnly: Bool, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ImageFiles? {
        let python = try #require(
            CommandRunner.which("python3"), "python3 reads the image", sourceLocation: sourceLocation)
        let arguments = [script, "--host", host] + (configurationOnly ? ["--config-only"] : []) + [image]
        let result = try await CommandRunner.run(python, arguments)
        try #require(result.status == 0, "image_files.py \(image): \(result.stderr)", sourceLocation: sourceLocation)
        return try JSONDecoder().decode(ImageFiles?.self, from: Data(result.stdout.utf8))
    }

    /// The paths whose entries differ between `self` and `other` (present in only one, or different), sorted,
    /// each with both entries, for a message.
    public func differences(from other: ImageFiles) -> [String] {
        Set(files.keys).union(other.files.keys).sorted().compactMap { path in
            let mine = files[path]
            let theirs = other.files[path]
            guard mine != theirs else { return nil }
            return "\(path): \(mine?.description ?? "absent") vs \(theirs?.description ?? "absent")"
        }
    }
}
