import ArgumentParser
import Foundation
import PrewarmPlan
import PrewarmSAMConfig
import PrewarmTemplate

/// The options that choose what to plan, shared by every command that reads a template.
struct TemplateOptions: ParsableArguments {
    @Argument(
        help: ArgumentHelp(
            "The SAM or CloudFormation template (YAML or JSON).",
            discussion: "Default: template.yaml, template.yml or template.json in the current directory.",
            valueName: "template"))
    var templatePath: String?

    @Option(name: [.customShort("t"), .customLong("template")], help: "The template, as SAM CLI's -t/--template.")
    var templateOption: String?

    @Option(
        name: .customLong("parameter-overrides"),
        help: ArgumentHelp(
            "Template parameter values: 'Key=Value Key2=Value2' or 'ParameterKey=K,ParameterValue=V'. Repeatable.",
            valueName: "overrides"))
    var parameterOverrides: [String] = []

    @Option(
        name: .customLong("arch"),
        help: ArgumentHelp(
            "Plan every function for these architectures instead of the template's (x86_64, arm64). "
                + "Repeatable or comma-separated: --arch x86_64,arm64.",
            valueName: "arch"))
    var architectures: [String] = []

    @Option(
        name: .customLong("function"),
        help: ArgumentHelp("Plan only this function (Child/Function or a logical ID). Repeatable.", valueName: "name"))
    var functions: [String] = []

    @Option(
        name: .customLong("invoke-image"),
        help: ArgumentHelp(
            "Use URI as the base image, for one function (its full name, Child/Function, as SAM CLI "
                + "matches it) or for all. Repeatable.",
            valueName: "[function=]uri"))
    var invokeImages: [String] = []

    /// The template path: the argument, else `-t`, else the SAM configuration's `template_file`, else a
    /// `template.*` in the current directory.
    func resolvedTemplatePath(config: SAMLocalSettings? = nil) throws -> String {
        if let templatePath, let templateOption, templatePath != templateOption {
            throw ValidationError("give the template once: either as an argument or with --template, not both")
        }
        if let path = templatePath ?? templateOption ?? config?.templateFile { return path }
        for name in ["template.yaml", "template.yml", "template.json"]
        where FileManager.default.fileExists(atPath: name) {
            return name
        }
        throw ValidationError(
            "no template given and no template.yaml, template.yml or template.json in the current directory")
    }

    func parsedArchitectures() throws -> [Architecture]? {
        let names = architectures.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { return nil }
        var result: [Architecture] = []
        for name in names {
            guard let architecture = Architecture(name: name) else {
                throw ValidationError("--arch \(name): unknown architecture; use x86_64 or arm64")
            }
            if !result.contains(architecture) { result.append(architecture) }
        }
        return result
    }

    /// `--invoke-image`, else the SAM configuration's `invoke_image`.
    func effectiveInvokeImages(config: SAMLocalSettings?) -> [String] {
        invokeImages.isEmpty ? config?.invokeImages ?? [] : invokeImages
    }

    /// `--parameter-overrides`, else the SAM configuration's `parameter_overrides`.
    func effectiveParameterOverrides(config: SAMLocalSettings?) -> [String] {
        parameterOverrides.isEmpty ? config?.parameterOverrides ?? [] : parameterOverrides
    }

    func parsedInvokeImages(config: SAMLocalSettings? = nil) throws -> [InvokeImage] {
        try effectiveInvokeImages(config: config).map { argument in
            guard let image = InvokeImage(argument: argument) else {
                throw ValidationError("--invoke-image '\(argument)': expected URI or FUNCTION=URI")
            }
            return image
        }
    }

    func validate() throws {
        _ = try parsedArchitectures()
        _ = try parsedInvokeImages()
        do {
            _ = try ParameterOverrides(parsing: parameterOverrides)
        } catch let error as TemplateError {
            throw ValidationError(error.description)
        }
    }

    /// Reads the template and plans it, under the SAM configuration `config` when there is one.
    ///
    /// - Throws: `CommandFailure` with exit status 2 when the template cannot be used at all.
    func plan(config: SAMLocalSettings? = nil) async throws -> Plan {
        let template = try await load(config: config)
        return try plan(template, config: config)
    }

    /// Reads the template (the argument, `-t`, or the configuration's `template_file`) with its parameters.
    ///
    /// - Throws: `CommandFailure` with exit status 2 when the template cannot be used at all.
    func load(config: SAMLocalSettings? = nil, path override: String? = nil) async throws -> Template {
        let path = try override ?? resolvedTemplatePath(config: config)
        do {
            let overrides = try ParameterOverrides(parsing: effectiveParameterOverrides(config: config))
            return try await TemplateLoader(overrides: overrides).load(path)
        } catch let error as TemplateError {
            throw CommandFailure(message: error.description, exitCode: .unusableInput)
        }
    }

    /// Plans a template already read.
    ///
    /// - Throws: `CommandFailure` with exit status 2 for `--function` names the template lacks.
    func plan(_ template: Template, config: SAMLocalSettings? = nil) throws -> Plan {
        let invokeImages: [InvokeImage]
        do {
            invokeImages = try parsedInvokeImages(config: config)
        } catch let error as ValidationError {
            throw CommandFailure(message: "invoke_image: \(error.message)", exitCode: .unusableInput)
        }
        let options = PlanOptions(
            architectures: try parsedArchitectures(), invokeImages: invokeImages, functions: functions)
        do {
            return try Planner(options: options).plan(template)
        } catch let error as PlanError {
            throw CommandFailure(message: error.description, exitCode: .unusableInput)
        }
    }
}
