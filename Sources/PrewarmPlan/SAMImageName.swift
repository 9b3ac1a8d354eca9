import Crypto

/// The names SAM CLI gives the images it builds for `sam local`, restated from
/// `samcli/local/docker/lambda_image.py` (`ci/compare-with-sam.py` checks these names against it).
public enum SAMImageName {
    /// The repository part of a base image reference as SAM CLI takes it: everything before
    /// the first `:` (even a registry port's), with `@` removed.
    public static func repository(ofBase base: String) -> String {
        let upToColon = base.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(upToColon.filter { $0 != "@" })
    }

    /// The tag prefix of a Zip function's rapid image: item 1 of the runtime tag split on
    /// `:` and `-`, plus `-` (`python:3.12-x86_64` → `3.12-`, `go:1` → `1-`).
    public static func rapidPrefix(runtimeTag: String) -> String {
        let items = runtimeTag.split(whereSeparator: { $0 == ":" || $0 == "-" })
        return items.count > 1 ? "\(items[1])-" : ""
    }

    /// The image of a function without layers (or of an Image function):
    /// `<repository>:<prefix>rapid-<arch>`.
    public static func rapid(base: String, prefix: String, architecture: Architecture) -> String {
        "\(repository(ofBase: base)):\(prefix)rapid-\(architecture.rawValue)"
    }

    /// The image of a Zip function with layers: `samcli/lambda-<runtime tag>-<h>`, where `<h>`
    /// is the first 25 hex digits of the SHA-256 of the layer names joined by `-`.
    public static func withLayers(runtimeTag: String, layerNames: [String]) -> String {
        let digest = sha256Hex(layerNames.joined(separator: "-")).prefix(25)
        return "samcli/lambda-\(runtimeTag)-\(digest)"
    }
}
