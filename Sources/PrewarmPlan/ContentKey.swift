/// Content keys: hashes of everything that decides what a node produces.
///
/// The SAM name is what an image is *called*; its key is what decides whether it must be
/// rebuilt. At plan time the key covers what the template decides (base reference,
/// platform, layer sources in order); a build folds in what only the files can tell (base
/// digest, emulator digest, layer content digests).
public enum ContentKey {
    static let version = "prewarm-image-key/3"

    /// The key of the image `name` built from `base` for `architecture` with `layers` in order.
    ///
    /// The name is part of the key: the same content under two names is two images to build
    /// (and two claims in the journal), while one name with two contents is a conflict the
    /// planner reports. A local layer is keyed by its path relative to `projectDirectory` (the
    /// template's project, ``TemplateLocation/projectDirectory(of:)``), so that the key is the same in every
    /// checkout of the project wherever it is, and a registry cache filled by CI serves a developer's
    /// machine; a layer outside the project is keyed by its absolute path.
    public static func image(
        name: String, base: String, architecture: Architecture, layers: [BuildGraph.LayerSource],
        projectDirectory: String? = nil
    ) -> String {
        var lines = [version, "name \(name)", "base \(base)", "platform \(architecture.platform)"]
        let prefix = projectDirectory.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        for layer in layers {
            switch layer {
            case .arn(let arn): lines.append("layer arn \(arn.text)")
            case .local(let path):
                if let prefix, path.hasPrefix(prefix) {
                    lines.append("layer project \(path.dropFirst(prefix.count))")
                } else {
                    lines.append("layer path \(path)")
                }
            }
        }
        return "sha256:" + sha256Hex(lines.joined(separator: "\n"))
    }
}
