import Foundation
import PrewarmArchive
import PrewarmLayers
import PrewarmPlan
import PrewarmSAMConfig
import PrewarmSupport
import PrewarmTemplate

/// The SAM configuration `prewarm build --for-sam` writes, so that `sam local invoke --config-file PATH`
/// (and `start-api`, `start-lambda`) builds nothing, even for functions whose layers are defined in the
/// template.
///
/// SAM CLI 1.170 builds on every invoke when any layer is defined in the template, but not for a layer by
/// ARN whose directory is in its layer cache (`samcli/local/layers/layer_downloader.py` then skips the
/// download, and `lambda_image.py` only rebuilds for template layers). So each template layer a function
/// uses gets an ARN of prewarm's making, `arn:aws:lambda:us-east-1:123456789012:layer:pw-<Layer>-<content
/// hash>:1`, and prewarm puts a copy of its content where SAM looks for that ARN
/// (`<layer cache>/<SAM's name for it>`). A change of content is a new ARN, so a new image name: nothing
/// stale is ever used. The derived templates and `samconfig.toml` live in `<project>/.prewarm/sam/` (the
/// template's directory, or for the template `sam build` wrote, the directory that holds `.aws-sam`, so that
/// the next `sam build` does not remove them), say at the top that they are generated, and are rewritten by
/// each build.
public struct SAMReadyConfiguration: Sendable {
    /// `<project>/.prewarm/sam`.
    public var directory: String
    /// The derived root template, which prewarm plans and builds instead of the original.
    public var templatePath: String
    /// The `samconfig.toml` to pass to `sam local … --config-file`.
    public var configPath: String
    /// Qualified template layer name (`Child/Layer`) → the ARN that replaced it.
    public var layerARNs: [String: String]
    /// Things the user should know: paths that could not be made absolute.
    public var warnings: [String]
    /// The template layers as installed into the layer cache, verified, by SAM name.
    public var installedLayers: [String: CachedLayer] = [:]

    /// The command line to use, for people.
    public var invokeCommand: String {
        "sam local invoke --config-file \(configPath) FUNCTION"
    }

    /// What the written `samconfig.toml` carries besides `template_file` and `layer_cache_basedir`.
    package struct Parameters: Sendable {
        /// The user's own `local_invoke` parameters (over `global`), carried over as they are.
        package var carried: [String: SAMConfigValue]
        /// `--parameter-overrides` given to prewarm; when not empty they replace the carried ones.
        package var parameterOverrides: [String]
        /// `--invoke-image` given to prewarm; when not empty they replace the carried ones.
        package var invokeImages: [String]
        /// `skip_pull_image`: prewarm's `--skip-pull-image`, else the user's value.
        package var skipPullImage: Bool?

        package init(
            carried: [String: SAMConfigValue] = [:], parameterOverrides: [String] = [], invokeImages: [String] = [],
            skipPullImage: Bool? = nil
        ) {
            self.carried = carried
            self.parameterOverrides = parameterOverrides
            self.invokeImages = invokeImages
            self.skipPullImage = skipPullImage
        }
    }

    /// The ARN prewarm gives a template layer whose content has `digest`.
    package static func layerARN(for layer: LayerDefinition, digest: String) -> String {
        let name = layer.qualifiedName.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }
        let hash = digest.hasPrefix("sha256:") ? digest.dropFirst(7).prefix(12) : digest.prefix(12)
        return "arn:aws:lambda:us-east-1:123456789012:layer:pw-\(String(name).prefix(100))-\(hash):1"
    }

    /// Writes the configuration for `template` (read from `originalPath`): installs each template layer a
    /// function uses into `store` under its ARN's SAM name, writes the derived template(s) and
    /// `samconfig.toml`.
    ///
    /// - Throws: `LayerStoreError` when a layer cannot be read or the cache written; `TemplateError` when a
    ///   template cannot be read again; `CommandFailure`-worthy I/O errors as `FileError` `.io`.
    ///
    /// - Parameter directory: where to write; `nil`: `.prewarm/sam` in the template's project directory.
    package static func write(
        template: Template, originalPath: String, store: LayerStore, parameters: Parameters, directory: String? = nil
    ) async throws -> SAMReadyConfiguration {
        let original = URL(fileURLWithPath: originalPath).standardizedFileURL
        let directory =
            directory.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            ?? URL(fileURLWithPath: TemplateLocation.projectDirectory(of: original.path))
            .appendingPathComponent(".prewarm/sam").path
        var layerARNs: [String: String] = [:]
        var installed: [String: CachedLayer] = [:]
        for function in template.functions {
            for case .template(let layer) in function.layers where layerARNs[layer.qualifiedName] == nil {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: layer.contentPath, isDirectory: &isDirectory) else {
                    throw LayerStoreError(
                        .notFound,
                        "layer \(layer.qualifiedName): its content \(layer.contentPath) does not exist; check ContentUri"
                    )
                }
                let digest =
                    isDirectory.boolValue
                    ? try ContentDigest.directory(layer.contentPath) : try ContentDigest.file(layer.contentPath)
                let arn = layerARN(for: layer, digest: digest)
                let samName = try LayerARN(layer: arn).samName
                installed[samName] = try await store.install(
                    templateLayer: layer.contentPath, named: samName, digest: digest)
                layerARNs[layer.qualifiedName] = arn
            }
        }

        let header = [
            "Generated by `prewarm build --for-sam` from \(original.path).",
            "Rewritten by every such build: edit the original, not this file.",
        ]
        var warnings: [String] = []
        func childPath(_ qualified: String) -> String {
            "\(directory)/stacks/\(qualified)/template.yaml"
        }
        // The root, then each nested stack's template, written where its parent now points.
        var pending: [(source: String, target: String, stackPath: [String])] = [
            (original.path, "\(directory)/template.yaml", [])
        ]
        while let next = pending.popLast() {
            guard let data = FileManager.default.contents(atPath: next.source),
                let text = String(data: data, encoding: .utf8)
            else {
                throw FileError(.io, "cannot read the template \(next.source) again to write its SAM copy")
            }
            let derived = try SAMReadyTemplate.derive(
                text, path: next.source, stackPath: next.stackPath, layerARNs: layerARNs, childTemplate: childPath,
                header: header, settings: template.settings)
            try write(derived.text, to: next.target)
            warnings += derived.warnings.map {
                "\(next.source): \($0) is not a plain path; SAM resolves it relative to \(next.target)"
            }
            for child in derived.children {
                let stackPath = next.stackPath + [child.logicalID]
                pending.append((child.source, childPath(stackPath.joined(separator: "/")), stackPath))
            }
        }

        var values = parameters.carried
        for key in ["template", "template_file", "config_file", "config_env"] { values[key] = nil }
        values["template_file"] = .string("\(directory)/template.yaml")
        values["layer_cache_basedir"] = .string(store.baseDirectory)
        if !parameters.parameterOverrides.isEmpty {
            values["parameter_overrides"] = .list(parameters.parameterOverrides)
        }
        if !parameters.invokeImages.isEmpty { values["invoke_image"] = .list(parameters.invokeImages) }
        if let skip = parameters.skipPullImage { values["skip_pull_image"] = .bool(skip) }
        let configPath = "\(directory)/samconfig.toml"
        try write(SAMConfig.render(header: header, parameters: values), to: configPath)
        return SAMReadyConfiguration(
            directory: directory, templatePath: "\(directory)/template.yaml", configPath: configPath,
            layerARNs: layerARNs, warnings: warnings, installedLayers: installed)
    }

    private static func write(_ text: String, to path: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw FileError(
                .io,
                "cannot create \((path as NSString).deletingLastPathComponent): \(describeSystemError(error)); pass "
                    + "\(Setting.samConfigDirectory) to write the SAM configuration elsewhere",
                cause: error)
        }
        do {
            try AtomicFile.write(Data(text.utf8), to: path)
        } catch {
            throw FileError(
                .io,
                "cannot write \(path): \(describeSystemError(error)); pass \(Setting.samConfigDirectory) to "
                    + "write the SAM configuration elsewhere",
                cause: error)
        }
    }
}
