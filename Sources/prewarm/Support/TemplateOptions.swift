import ArgumentParser
import Foundation
import PrewarmPlan
import PrewarmRun
import PrewarmSAMConfig
import PrewarmTemplate

/// The template a command reads, spelled the same way by every command and found as SAM CLI's local
/// commands find theirs: an argument, or `-t/--template/--template-file`; else `$SAM_TEMPLATE_FILE`; else
/// the SAM configuration's `template_file`; else the first of .aws-sam/build/template.yaml (what `sam build`
/// wrote), template.yaml, template.yml, template.json in the current directory.
struct TemplateArgument: ParsableArguments {
    @Argument(
        help: ArgumentHelp(
            "The SAM or CloudFormation template (YAML or JSON).",
            discussion: "Default, as sam local: $SAM_TEMPLATE_FILE, else samconfig.toml's template_file, else "
                + "the first of .aws-sam/build/template.yaml (after sam build), template.yaml, template.yml, "
                + "template.json in the current directory.",
            valueName: "template"),
        completion: .file(extensions: ["yaml", "yml", "json"]))
    var templatePath: String?

    @Option(
        name: [.customShort("t"), .customLong("template"), .customLong("template-file")],
        help: "The template, as SAM CLI's -t/--template/--template-file.",
        completion: .file(extensions: ["yaml", "yml", "json"]))
    var templateOption: String?

    /// The template given, as an argument or with `-t`; `nil` when neither.
    func givenPath() throws -> String? {
        if let templatePath, let templateOption, templatePath != templateOption {
            throw ValidationError("give the template once: either as an argument or with --template, not both")
        }
        return templatePath ?? templateOption
    }

    /// The directory whose `samconfig.toml` applies, as in SAM CLI: the named template's (given, or from
    /// `$SAM_TEMPLATE_FILE`); `nil` for the current directory.
    func samConfigDirectory() throws -> String? {
        let environment = ProcessInfo.processInfo.environment[TemplateLocation.environmentVariable]
        guard let named = try givenPath() ?? environment.flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        return URL(fileURLWithPath: named).deletingLastPathComponent().path
    }

    /// Where the template is (see the type's comment); `config` is the SAM configuration's path and its
    /// `template_file`, when it has one.
    func location(config: (path: String, settings: SAMLocalSettings)? = nil) throws -> TemplateLocation {
        do {
            return try TemplateLocation.find(
                given: try givenPath(), environment: ProcessInfo.processInfo.environment,
                samConfig: config.flatMap { config in config.settings.templateFile.map { ($0, config.path) } })
        } catch let error as TemplateError {
            throw ValidationError(SettingFlags.render(error))
        }
    }

    /// The template path, found without a SAM configuration.
    func resolvedPath() throws -> String {
        try location().path
    }

    /// `given`, else the template found as every command finds it (without a SAM configuration).
    static func located(_ given: String?) throws -> String {
        do {
            return try TemplateLocation.find(given: given, environment: ProcessInfo.processInfo.environment).path
        } catch let error as TemplateError {
            throw ValidationError(SettingFlags.render(error))
        }
    }

    func validate() throws {
        _ = try givenPath()
    }
}

/// The options that choose what to plan, shared by every command that plans a template.
struct TemplateOptions: ParsableArguments {
    @OptionGroup var template: TemplateArgument

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

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Expand AWS::LanguageExtensions (Fn::ForEach, …) as SAM CLI does with the same flag. "
                + "Default: SAM CLI's SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS (1, true, yes), else off."))
    var languageExtensions: Bool?

    @Option(
        help: ArgumentHelp("Stop reading past this many nested stacks (each use of a template counts).", valueName: "n")
    )
    var maxNestedStacks = TemplateLimits().stacks

    @Option(help: ArgumentHelp("Stop reading past this many functions, in all stacks.", valueName: "n"))
    var maxFunctions = TemplateLimits().functions

    @Option(help: ArgumentHelp("Stop reading past this many levels of nested stacks.", valueName: "n"))
    var maxStackDepth = TemplateLimits().stackDepth

    /// The flag that raises `limit`, for an error that says how.
    static func flag(raising limit: TemplateLimits.Limit) -> String {
        switch limit {
        case .stacks: "--max-nested-stacks"
        case .functions: "--max-functions"
        case .stackDepth: "--max-stack-depth"
        }
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

    func parsedInvokeImages(config: SAMLocalSettings? = nil) throws -> [InvokeImage] {
        // A flag replaces the configuration file's value, as in SAM CLI.
        let arguments = invokeImages.isEmpty ? config?.invokeImages ?? [] : invokeImages
        let source = invokeImages.isEmpty ? "invoke_image" : "--invoke-image"
        return try arguments.map { argument in
            guard let image = InvokeImage(argument: argument) else {
                throw ValidationError("\(source) '\(argument)': expected URI or FUNCTION=URI")
            }
            return image
        }
    }

    func parsedOverrides(config: SAMLocalSettings? = nil) throws -> ParameterOverrides {
        let arguments = parameterOverrides.isEmpty ? config?.parameterOverrides ?? [] : parameterOverrides
        do {
            return try ParameterOverrides(parsing: arguments)
        } catch let error as TemplateError {
            let message = SettingFlags.render(error)
            throw ValidationError(parameterOverrides.isEmpty ? "parameter_overrides: \(message)" : message)
        }
    }

    func validate() throws {
        for (flag, value) in [
            ("--max-nested-stacks", maxNestedStacks), ("--max-functions", maxFunctions),
            ("--max-stack-depth", maxStackDepth),
        ] where value < 0 {
            throw ValidationError("\(flag) \(value): give a number of 0 or more")
        }
        _ = try parsedArchitectures()
        _ = try parsedInvokeImages()
        _ = try parsedOverrides()
    }

    /// What to build, as the library takes it: the template and how to plan it, from the flags, else from
    /// the SAM configuration `config` (`template_file`, `parameter_overrides`, `invoke_image`). Says which
    /// template, and why, on standard error, and when a source template was named although `sam build`
    /// has built it.
    func configuration(config: (path: String, settings: SAMLocalSettings)? = nil) throws -> BuildConfiguration {
        let location = try template.location(config: config)
        Console.write("prewarm: template: \(location.path) \(location.reason)")
        if let note = location.builtBesideNote { Console.write("prewarm: note: \(note)") }
        let config = config?.settings
        var configuration = BuildConfiguration(templatePath: location.path)
        // What the journal keeps for `prewarm status` names settings as this command line does.
        configuration.spellSetting = { SettingFlags.flag(for: $0) }
        configuration.template.parameterOverrides = try parsedOverrides(config: config)
        configuration.images.architectures = try parsedArchitectures()
        configuration.images.functions = functions
        configuration.images.invokeImages = try parsedInvokeImages(config: config)
        configuration.template.limits = TemplateLimits(
            stacks: maxNestedStacks, functions: maxFunctions, stackDepth: maxStackDepth)
        configuration.template.languageExtensions =
            languageExtensions ?? TemplateLoader.languageExtensionsEnabled(environment: configuration.environment)
        return configuration
    }
}
