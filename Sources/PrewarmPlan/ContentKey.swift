/// Content keys: hashes of everything that decides what a node produces.
///
/// The SAM name is what an image is *called*; its key is what decides whether it must be
/// rebuilt. At plan time the key covers what the template decides (base reference,
/// platform, layer sources in order); a build folds in what only the files can tell (base
/// digest, emulator digest, layer content digests).
public enum ContentKey {
    static let version = "prewarm-image-key/1"

    /// The key of an image built from `base` for `architecture` with `layers` in order.
    public static func image(base: String, architecture: Architecture, layers: [BuildGraph.LayerSource]) -> String {
        var lines = [version, "base \(base)", "platform \(architecture.platform)"]
        for layer in layers {
            switch layer {
            case .arn(let arn): lines.append("layer arn \(arn.text)")
            case .local(let path): lines.append("layer path \(path)")
            }
        }
        return "sha256:" + sha256Hex(lines.joined(separator: "\n"))
    }
}
