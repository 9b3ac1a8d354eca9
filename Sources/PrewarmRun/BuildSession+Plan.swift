import Foundation
import PrewarmPlan
import PrewarmSupport
import PrewarmTemplate

// What `run(events:)` does before it builds: `resume` resolved, the template read and planned.
extension BuildSession {
    /// Resolves `resume` (the run to continue and its recorded options), then reads the template, writes the
    /// SAM configuration with `sam.enabled`, and plans it with the configuration resolved.
    ///
    /// - Throws: `BuildSessionError` with code `.template` when the template cannot be read at all (its
    ///   `cause` is the `TemplateError`), `.journal` when `resume` cannot read the journal, `.plan` when
    ///   `functions` names a function the template does not have (its `cause` is the `PlanError`). A single
    ///   function that cannot be planned is not an error: it is in `plan.errors`, and the others are built.
    package func planned() async throws -> Planned {
        let resumption = try await Self.resumption(of: configuration, templatePath: templatePath)
        let configuration = resumption?.configuration ?? configuration
        let path = templatePath
        let template: Template
        do {
            template = try await TemplateLoader(
                overrides: configuration.template.parameterOverrides, limits: configuration.template.limits,
                languageExtensions: configuration.template.languageExtensions
            ).load(path)
        } catch let error as TemplateError {
            throw Self.templateError(error, configuration: configuration)
        }
        let options = PlanOptions(
            architectures: configuration.images.architectures, invokeImages: configuration.images.invokeImages,
            functions: configuration.images.functions)
        var planned =
            configuration.effectiveEngine == .oci ? Self.skippingDockerBuiltImages(template, path: path) : template
        var samReady: SAMReadyConfiguration?
        if configuration.sam.enabled {
            let ready = try await Self.writeSAMConfiguration(for: template, configuration: configuration)
            samReady = ready
            planned = try await Self.loadDerived(ready, configuration: configuration)
            if configuration.effectiveEngine == .oci {
                planned = Self.skippingDockerBuiltImages(planned, path: path)
            }
        }
        var plan: Plan
        let shardNote: Message?
        do {
            let whole = try Planner(options: options).plan(planned)
            if let shard = configuration.images.shard {
                let part = whole.restricted(to: shard)
                plan = part
                shardNote =
                    "shard \(shard): \(part.graph.count(of: .image)) of \(whole.graph.count(of: .image)) image(s)"
            } else {
                plan = whole
                shardNote = nil
            }
        } catch let error as PlanError {
            throw BuildSessionError(.plan, error.line, remedy: .change(.functions), cause: error)
        }
        // The journal, the run and the messages stay those of the user's template.
        // Warnings too: at the lines of the user's template, not of the derived one (a missing CodeUri
        // directory is missing in both).
        if configuration.sam.enabled {
            plan.template = template.path
            plan.warnings = template.warnings.map(\.line)
        }
        plan.warnings += Self.samBuildNotes(for: template, path: path).map { Message($0) }
        return Planned(
            configuration: configuration, plan: plan, shardNote: shardNote, samReady: samReady,
            resumption: resumption)
    }

    /// A template that cannot be found or read, as the session's error.
    static func templateError(_ error: TemplateError, configuration: BuildConfiguration) -> BuildSessionError {
        BuildSessionError(
            .template, error.line,
            remedy: error.code == .fileNotFound
                ? nil : .editTemplate(error.location?.file ?? configuration.template.path ?? ""),
            cause: error)
    }
}
