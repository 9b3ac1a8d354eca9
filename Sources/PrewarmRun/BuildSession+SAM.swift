import Foundation
import PrewarmLayers
import PrewarmPlan
import PrewarmSupport
import PrewarmTemplate

extension BuildSession {
    /// Writes the SAM-ready configuration for `template` (see `SAMReadyConfiguration`).
    ///
    /// - Throws: `BuildSessionError` `.configuration` when a template layer cannot be read or the files
    ///   cannot be written.
    static func writeSAMConfiguration(for template: Template, configuration: BuildConfiguration) async throws
        -> SAMReadyConfiguration
    {
        let store = LayerStore(
            baseDirectory: configuration.resolvedLayerCacheDirectory, maxExpandedSize: configuration.inputs.maxLayerSize
        )
        let overrides = configuration.template.parameterOverrides.values.map { pair in
            pair.value.contains(" ") ? "\(pair.name)=\"\(pair.value)\"" : "\(pair.name)=\(pair.value)"
        }
        let invokeImages = configuration.images.invokeImages.map { image in
            image.function.map { "\($0)=\(image.image)" } ?? image.image
        }
        let parameters = SAMReadyConfiguration.Parameters(
            carried: configuration.sam.parameters, parameterOverrides: overrides, invokeImages: invokeImages,
            skipPullImage: configuration.images.pull ? configuration.sam.skipPullImage : true)
        do {
            return try await SAMReadyConfiguration.write(
                template: template, originalPath: template.path, store: store, parameters: parameters,
                directory: configuration.sam.configDirectory)
        } catch let error as any PrewarmError {
            throw BuildSessionError(.configuration, "\(Setting.forSAM): \(error.text)", cause: error)
        } catch let error as TemplateError {
            throw BuildSessionError(.template, "\(Setting.forSAM): \(error.line)", cause: error)
        }
    }

    /// Reads the derived template `ready` wrote, with the same parameters.
    static func loadDerived(_ ready: SAMReadyConfiguration, configuration: BuildConfiguration) async throws
        -> Template
    {
        do {
            return try await TemplateLoader(overrides: configuration.template.parameterOverrides).load(
                ready.templatePath)
        } catch let error as TemplateError {
            throw BuildSessionError(
                .template, "\(Setting.forSAM): the derived template \(ready.templatePath): \(error.line)",
                cause: error)
        }
    }
}

extension BuildSession.Planned {
    /// Says, as one note, how many functions' images `sam local` will build anyway and why, and with
    /// `sam.enabled` the command line to use and what could not be carried over.
    func reportSAMBuilds(events: @Sendable (BuildEvent) -> Void) {
        // One line, however many functions: `prewarm plan` names them. With --for-sam no template layer is
        // left; Image functions without a Runtime still build, from cache.
        if let summary = plan.samBuildsSummary(listing: 0) { events(.note(Message(summary))) }
        guard let ready = samReady else { return }
        for warning in ready.warnings { events(.note("warning: \(warning)")) }
        events(.note("SAM-ready configuration in \(ready.directory); run: \(ready.invokeCommand)"))
    }
}
