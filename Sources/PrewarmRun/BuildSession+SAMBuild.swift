import Foundation
import PrewarmSAMConfig
import PrewarmTemplate

/// What `sam build` has to do with a build: whether the template prewarm reads is the one `sam local` will
/// run, and whether that build is older than its sources.
extension BuildSession {
    /// What to tell the user about `sam build` for the template at `path`, one line each:
    /// - for a template `sam build` wrote, the resources whose sources changed after that build (from its
    ///   `build.toml`: SAM's `source_hash` where recorded, else a file newer than the record);
    /// - for a source template, the resources with a `Metadata.BuildMethod` when there is no build beside
    ///   it (`sam local` would run them unbuilt).
    static func samBuildNotes(for template: Template, path: String) -> [String] {
        guard TemplateLocation.isBuilt(path) else {
            let built = URL(fileURLWithPath: path).deletingLastPathComponent()
                .appendingPathComponent(TemplateLocation.builtTemplate).path
            let names = template.resourcesWithBuildMethod
            guard !names.isEmpty, !FileManager.default.fileExists(atPath: built) else { return [] }
            let one = names.count == 1
            return [
                "\(Self.list(names)) \(one ? "has" : "have") a Metadata.BuildMethod, and there is no build: sam local "
                    + "will run \(one ? "it" : "them") unbuilt; run `sam build`, then prewarm again (it reads "
                    + "\(TemplateLocation.builtTemplate) first)"
            ]
        }
        guard let recordPath = SAMBuildRecord.recordPath(forBuiltTemplate: path) else { return [] }
        let record: SAMBuildRecord?
        do {
            record = try SAMBuildRecord.load(contentsOf: recordPath)
        } catch let error as SAMConfigError {
            return ["cannot tell whether the build is up to date: \(error.message)"]
        } catch {
            return ["cannot tell whether the build is up to date: \(recordPath): \(error)"]
        }
        guard let record else { return [] }
        let stale = record.staleDefinitions(baseDirectory: TemplateLocation.projectDirectory(of: path))
        guard !stale.isEmpty else { return [] }
        let named = stale.map { item in
            let names = item.resources.isEmpty ? "?" : item.resources.joined(separator: ", ")
            return item.changedFile.map { "\(names) (\($0) changed)" } ?? "\(names) (its sources changed)"
        }
        return [
            "the build in \(URL(fileURLWithPath: recordPath).deletingLastPathComponent().path)/build is older than "
                + "the sources of \(named.joined(separator: "; ")): sam local runs the old build until you run "
                + "`sam build` (then prewarm again)"
        ]
    }

    /// `template` without the Image functions whose image `sam build` made in the Docker engine (a built
    /// template names it `<logical id>:<tag>`, with no registry), which the OCI store cannot build on: each
    /// is skipped, with the reason.
    static func skippingDockerBuiltImages(_ template: Template, path: String) -> Template {
        guard TemplateLocation.isBuilt(path) else { return template }
        var result = template
        result.functions = template.functions.filter { function in
            guard function.packageType == .image, let image = function.imageURI, !image.contains("/") else {
                return true
            }
            result.skipped.append(
                SkippedResource(
                    name: function.name,
                    reason: """
                        its image \(image) was made by `sam build` in the Docker engine, which the OCI store \
                        cannot build on; build it with \(Setting.engineDocker)
                        """,
                    location: function.location))
            return false
        }
        return result
    }

    private static func list(_ names: [String]) -> String {
        names.count > 4
            ? names.prefix(4).joined(separator: ", ") + " and \(names.count - 4) more" : names.joined(separator: ", ")
    }
}
