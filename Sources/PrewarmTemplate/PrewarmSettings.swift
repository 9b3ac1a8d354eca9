import Foundation

/// prewarm's own settings in a template, under the root template's `Metadata.Prewarm`, which
/// CloudFormation and SAM CLI ignore. They let a template carry what its images need, so
/// that `prewarm build` works with no flags on a machine with no registry access:
///
/// ```yaml
/// Metadata:
///   Prewarm:
///     BaseImages: bases/        # an OCI image layout holding base images
///     EmulatorDirectory: rie/   # aws-lambda-rie-x86_64 / aws-lambda-rie-arm64
/// ```
///
/// Paths are relative to the template's directory (for a template `sam build` wrote, the project's
/// directory when the path does not exist beside the built template). Command-line flags win over them.
public struct PrewarmSettings: Sendable, Hashable {
    /// An OCI image layout directory where base images are looked for before any registry.
    public var baseImages: String?
    /// A directory holding the Lambda runtime interface emulator.
    public var emulatorDirectory: String?

    public init(baseImages: String? = nil, emulatorDirectory: String? = nil) {
        self.baseImages = baseImages
        self.emulatorDirectory = emulatorDirectory
    }

    static let keys = ["BaseImages", "EmulatorDirectory"]

    /// Reads `Metadata.Prewarm` from a template's `Metadata` section.
    ///
    /// - Throws: `TemplateError` when `Prewarm` is not a mapping, has an unknown key, or a
    ///   value that is not a path.
    init(_ metadata: TemplateNode?, directory: String) throws {
        self.init()
        guard let entry = metadata?.mapping?.entry("Prewarm") else { return }
        guard let settings = entry.value.mapping else {
            throw TemplateError(
                .structure, "Metadata.Prewarm must be a mapping, not \(entry.value.shapeDescription)",
                at: entry.value.location)
        }
        for setting in settings.entries {
            guard Self.keys.contains(setting.key) else {
                throw TemplateError(
                    .structure, "Metadata.Prewarm has no setting \(setting.key)", at: setting.keyLocation,
                    hint: "the settings are \(Self.keys.joined(separator: ", "))")
            }
            guard let text = setting.value.scalar, !text.isEmpty else {
                throw TemplateError(
                    .structure, "Metadata.Prewarm.\(setting.key) must be a path, not \(setting.value.shapeDescription)",
                    at: setting.value.location)
            }
            var path = Self.resolve(text, in: directory)
            // `sam build` copies the root Metadata as it is into .aws-sam/build/template.yaml: a relative
            // path there was written for the source template's directory, the project's.
            let project = TemplateLocation.projectDirectory(of: directory + "/template.yaml")
            if !FileManager.default.fileExists(atPath: path), project != directory {
                path = Self.resolve(text, in: project)
            }
            if setting.key == "BaseImages" { baseImages = path } else { emulatorDirectory = path }
        }
    }

    private static func resolve(_ path: String, in directory: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL
            .path
    }
}
