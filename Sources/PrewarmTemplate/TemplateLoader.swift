import Foundation
import PrewarmSupport

/// Reads a SAM / CloudFormation template and its nested stacks into a `Template`.
///
/// The loader reads only templates: code and layer directories need not exist. Nested stacks
/// are read concurrently. A problem with one resource (a function, a layer, a nested stack)
/// becomes a `ResourceError` and the rest is still read; only a root template that cannot be
/// used at all throws.
public struct TemplateLoader: Sendable {
    public static let functionTypes: Set<String> = ["AWS::Serverless::Function", "AWS::Lambda::Function"]
    public static let layerTypes: Set<String> = ["AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"]
    public static let stackTypes: Set<String> = ["AWS::Serverless::Application", "AWS::CloudFormation::Stack"]
    /// The layer SAM CLI ignores: it is built into the old Amazon Linux runtimes.
    public static let legacyLayerARN = "arn:aws:lambda:::awslayer:AmazonLinux1803"

    public var overrides: ParameterOverrides
    /// How far nested stacks may expand before reading stops with an error.
    public var limits: TemplateLimits
    /// Whether to expand `AWS::LanguageExtensions` (`Fn::ForEach`, `Fn::ToJsonString`, …) as
    /// SAM CLI does with `--language-extensions` or `SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS`; off,
    /// as in SAM CLI, such templates are read as written.
    public var languageExtensions: Bool

    public init(
        overrides: ParameterOverrides = ParameterOverrides(), limits: TemplateLimits = TemplateLimits(),
        languageExtensions: Bool = false
    ) {
        self.overrides = overrides
        self.limits = limits
        self.languageExtensions = languageExtensions
    }

    /// What SAM CLI's environment variable says about language extensions: on for `1`, `true`
    /// or `yes` (any case, surrounding spaces ignored), as SAM CLI 1.170 reads it.
    public static func languageExtensionsEnabled(environment: [String: String]) -> Bool {
        let value = environment["SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS"] ?? ""
        return ["1", "true", "yes"].contains(value.trimmingCharacters(in: .whitespacesAndNewlines).lowercased())
    }

    /// Reads the template at `path` and every local nested stack below it.
    ///
    /// - Throws: `TemplateError` when the root template is missing, unreadable, not YAML/JSON,
    ///   or not a template (no `Resources` mapping), or when the template with its nested
    ///   stacks goes past one of `limits` (code `.limit`).
    public func load(_ path: String) async throws -> Template {
        var given: [String: GivenParameter] = [:]
        for (name, value) in overrides.values { given[name] = .value(value) }
        let context = LoadContext(budget: ExpansionBudget(limits: limits), languageExtensions: languageExtensions)
        let stack = try await Self.loadStack(path: path, stackPath: [], given: given, ancestry: [], context: context)
        var warnings = stack.warnings
        if !overrides.ignored.isEmpty {
            warnings.insert(
                TemplateError(
                    .parameter,
                    "\(TemplateInput.parameterOverrides): \(overrides.ignored.joined(separator: " ")) ignored, as SAM CLI "
                        + "ignores Key=Value pairs in an argument that uses ParameterKey=…,ParameterValue=…",
                    hint: "give them in a \(TemplateInput.parameterOverrides) argument of their own"),
                at: 0)
        }
        let unused = overrides.names.filter { !stack.declaredParameters.contains($0) }
        if !unused.isEmpty {
            warnings.insert(
                TemplateError(
                    .parameter,
                    "\(TemplateInput.parameterOverrides) names \(unused.joined(separator: ", ")), which "
                        + "\(unused.count == 1 ? "is" : "are") not a parameter of the template; ignored",
                    at: SourceLocation(file: path)),
                at: 0)
        }
        Self.countMissingCode(in: &warnings, path: path)
        return Template(
            path: path, functions: stack.functions, layers: stack.layers, skipped: stack.skipped,
            errors: stack.errors, warnings: warnings, settings: stack.settings,
            resourcesWithBuildMethod: stack.builtResources)
    }

    // MARK: - One stack

    struct StackResult: Sendable {
        var functions: [Function] = []
        var layers: [LayerDefinition] = []
        var skipped: [SkippedResource] = []
        var errors: [ResourceError] = []
        var warnings: [TemplateError] = []
        var declaredParameters: Set<String> = []
        /// Functions and layers with a `Metadata.BuildMethod`.
        var builtResources: [String] = []
        /// The root template's `Metadata.Prewarm`.
        var settings = PrewarmSettings()

        mutating func append(_ other: StackResult) {
            functions += other.functions
            layers += other.layers
            skipped += other.skipped
            errors += other.errors
            warnings += other.warnings
            builtResources += other.builtResources
        }
    }

    /// The outcome of reading one layer resource, for the functions that `Ref` it.
    enum LayerOutcome {
        case defined(LayerDefinition)
        case skipped(String)
        case failed(TemplateError)
    }

    /// A nested stack to read once the parent is done.
    struct ChildStack: Sendable {
        var slot: Int
        var path: String
        var stackPath: [String]
        var given: [String: GivenParameter]
        var location: SourceLocation
    }

    /// A value a parent stack passes to a nested stack's parameter.
    enum GivenParameter: Sendable {
        case value(String)
        /// No value prewarm can use: the parent's own parameter has none, or the value is known
        /// only after deployment. `problem` says which, starting with what is passed.
        case unset(UnsetParameter)
    }

    /// What every stack of one template shares while it is read.
    struct LoadContext: Sendable {
        var budget: ExpansionBudget
        var languageExtensions: Bool
        /// A template used by several stacks is read and parsed once.
        var documents = DocumentCache()
    }

    /// Parsed templates by canonical path, shared by the concurrent readers of nested stacks.
    final class DocumentCache: Sendable {
        private let documents = Locked<[String: TemplateNode]>([:])

        /// The parsed template at `path`, read once per `canonicalPath`.
        ///
        /// - Throws: what `TemplateDocument.load(contentsOf:)` throws; failures are not kept.
        func document(at path: String, canonicalPath: String) throws -> TemplateNode {
            if let known = documents.withLock({ $0[canonicalPath] }) { return known }
            let document = try TemplateDocument.load(contentsOf: path)
            documents.withLock { $0[canonicalPath] = document }
            return document
        }
    }

    /// `Globals.Function`, checked for properties SAM's translator refuses there.
    static func functionGlobals(_ section: TemplateNode?) throws -> TemplateMapping? {
        guard let section, !section.isNull else { return nil }
        guard let globals = section.mapping else {
            throw TemplateError(
                .structure, "Globals must be a mapping, not \(section.shapeDescription)", at: section.location)
        }
        guard let function = globals.entry("Function") else { return nil }
        guard let properties = function.value.mapping else {
            throw TemplateError(
                .structure, "Globals.Function must be a mapping, not \(function.value.shapeDescription)",
                at: function.value.location)
        }
        for entry in properties.entries where GlobalsMerge.unsupported.contains(entry.key) {
            throw TemplateError(
                .structure, "\(entry.key) is not supported in Globals.Function", at: entry.keyLocation,
                hint: "set it on each function instead (SAM rejects it in Globals too)")
        }
        return properties
    }

    static func loadStack(
        path: String, stackPath: [String], given: [String: GivenParameter], ancestry: [String], context: LoadContext
    ) async throws -> StackResult {
        // Another stack went past a limit: the whole template fails, so stop reading.
        guard !Task.isCancelled else { return StackResult() }
        let canonicalPath = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        var root = try context.documents.document(at: path, canonicalPath: canonicalPath)
        if context.languageExtensions { root = try LanguageExtensions.expand(root, given: given) }
        guard let top = root.mapping else {
            throw TemplateError(
                .structure,
                "a template must be a mapping of sections (Resources, Parameters, …), not \(root.shapeDescription)",
                at: root.location)
        }
        guard let resourcesNode = top["Resources"] else {
            throw TemplateError(
                .structure, "the template has no Resources section", at: root.location,
                hint: "is this a SAM or CloudFormation template?")
        }
        guard let resources = resourcesNode.mapping else {
            throw TemplateError(
                .structure,
                "Resources must be a mapping of logical IDs to resources, not \(resourcesNode.shapeDescription)",
                at: resourcesNode.location)
        }

        if !context.languageExtensions,
            let loop = resources.entries.first(where: { $0.key.hasPrefix(LanguageExtensions.loopPrefix) })
        {
            // SAM CLI fails on the whole template too (it takes the loop for a resource).
            throw TemplateError(
                .structure, "\(loop.key) needs AWS::LanguageExtensions expanded locally, which is off",
                at: loop.keyLocation,
                hint:
                    "pass \(TemplateInput.languageExtensions) or set SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS=1, as sam local needs too"
            )
        }
        var result = StackResult()
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if stackPath.isEmpty { result.settings = try PrewarmSettings(top["Metadata"], directory: directory) }
        let prefix = stackPath.isEmpty ? "" : stackPath.joined(separator: "/") + "/"

        // Parameters: given values win over defaults.
        var parameters: [String: ParameterValue] = [:]
        var unset: [String: UnsetParameter] = [:]
        if let section = top["Parameters"]?.mapping {
            for entry in section.entries {
                result.declaredParameters.insert(entry.key)
                let type = entry.value["Type"]?.scalar ?? "String"
                let isList = type == "CommaDelimitedList" || type.hasPrefix("List<")
                let text: String?
                // As in SAM CLI, an empty value counts as no value: the Default applies.
                switch given[entry.key] {
                case .value(let value) where !value.isEmpty:
                    text = value
                case .unset(let parent):
                    var inherited = parent
                    inherited.problem =
                        "parameter '\(entry.key)' (declared at line \(entry.keyLocation.line)) has no value: "
                        + "the parent stack passes it \(parent.problem)"
                    unset[entry.key] = inherited
                    continue
                default:
                    if let defaultNode = entry.value["Default"] {
                        text = defaultNode.scalar ?? defaultNode.sequence?.compactMap(\.scalar).joined(separator: ",")
                    } else {
                        text = nil
                    }
                }
                guard let text else {
                    unset[entry.key] = UnsetParameter(
                        substitute: entry.key,
                        problem: "parameter '\(entry.key)' (declared at line \(entry.keyLocation.line)) has no Default "
                            + "and no value",
                        overriding: entry.key)
                    continue
                }
                parameters[entry.key] =
                    isList
                    ? .list(
                        text.isEmpty
                            ? []
                            : text.split(separator: ",", omittingEmptySubsequences: false).map {
                                $0.trimmingCharacters(in: .whitespaces)
                            })
                    : .string(text)
            }
        }

        var resourceTypes: [String: String] = [:]
        for entry in resources.entries {
            if let type = entry.value["Type"]?.scalar { resourceTypes[entry.key] = type }
        }
        let resolver = IntrinsicResolver(
            parameters: parameters, unsetParameters: unset, resourceTypes: resourceTypes,
            mappings: top["Mappings"]?.mapping, conditions: top["Conditions"]?.mapping,
            languageExtensions: context.languageExtensions)
        let globals = try Self.functionGlobals(top["Globals"])
        let reader = ResourceReader(directory: directory, prefix: prefix, stackPath: stackPath, resolver: resolver)

        // Layers first: functions refer to them.
        var layers: [String: LayerOutcome] = [:]
        for entry in resources.entries where layerTypes.contains(resourceTypes[entry.key] ?? "") {
            let outcome = reader.layer(entry)
            layers[entry.key] = outcome
            switch outcome {
            case .defined(let layer): result.layers.append(layer)
            case .skipped(let reason):
                result.skipped.append(
                    SkippedResource(name: prefix + entry.key, reason: Message(reason), location: entry.keyLocation))
            case .failed(let error): result.errors.append(ResourceError(name: prefix + entry.key, error: error))
            }
        }

        // Functions and nested stacks, in template order.
        enum Slot { case function(Function), stack(Int) }
        let chain = ancestry + [canonicalPath]
        var slots: [Slot] = []
        var children: [ChildStack] = []
        for entry in resources.entries {
            let name = prefix + ResourceReader.resourceID(entry)
            guard let type = resourceTypes[entry.key] else {
                if entry.value.mapping == nil || entry.value["Type"] == nil {
                    result.warnings.append(
                        TemplateError(.structure, "resource \(name) has no Type; ignored", at: entry.keyLocation))
                }
                continue
            }
            if functionTypes.contains(type) || layerTypes.contains(type), entry.value["Metadata"]?["BuildMethod"] != nil
            {
                result.builtResources.append(name)
            }
            do {
                if functionTypes.contains(type) {
                    switch try reader.function(entry, type: type, globals: globals, layers: layers) {
                    case .function(let function, let warnings):
                        slots.append(.function(function))
                        result.warnings += warnings
                    case .skipped(let reason):
                        result.skipped.append(
                            SkippedResource(name: name, reason: Message(reason), location: entry.keyLocation))
                    }
                } else if stackTypes.contains(type) {
                    switch try reader.nestedStack(entry, type: type) {
                    case .local(let childPath, let childGiven):
                        let canonical = URL(fileURLWithPath: childPath).resolvingSymlinksInPath().standardizedFileURL
                            .path
                        if chain.contains(canonical) {
                            throw TemplateError(
                                .nestedStack,
                                "nested stack \(name) includes \(childPath), which includes it again (a cycle)",
                                at: entry.keyLocation, hint: "a nested stack cannot contain one of its own parents")
                        }
                        try context.budget.addStack(depth: stackPath.count + 1, at: entry.keyLocation)
                        slots.append(.stack(children.count))
                        children.append(
                            ChildStack(
                                slot: children.count, path: childPath,
                                stackPath: stackPath + [ResourceReader.resourceID(entry)], given: childGiven,
                                location: entry.keyLocation))
                    case .skipped(let reason):
                        result.skipped.append(
                            SkippedResource(name: name, reason: Message(reason), location: entry.keyLocation))
                    }
                }
            } catch let error as TemplateError {
                if error.exceededLimit != nil { throw error }
                // With Globals, as the function was read.
                var properties = (try? reader.properties(of: entry)) ?? nil
                if type == "AWS::Serverless::Function", let globals {
                    properties = try? GlobalsMerge.apply(
                        globals: globals,
                        to: properties ?? TemplateNode(.mapping(TemplateMapping([])), at: entry.keyLocation),
                        ignoring: entry.value["IgnoreGlobals"])
                }
                result.errors.append(
                    ResourceError(name: name, error: resolver.namingEveryUnsetParameter(error, in: properties)))
            }
        }
        let functionCount = slots.reduce(0) { count, slot in
            if case .function = slot { return count + 1 }
            return count
        }
        try context.budget.addFunctions(functionCount, at: resourcesNode.location)

        // Nested stacks concurrently, then splice their results where they are defined.
        var childResults = [StackResult?](repeating: nil, count: children.count)
        var exceeded: [Int: TemplateError] = [:]
        await withTaskGroup(of: (Int, Result<StackResult, TemplateError>).self) { group in
            for child in children {
                group.addTask {
                    do {
                        var loaded = try await loadStack(
                            path: child.path, stackPath: child.stackPath, given: child.given, ancestry: chain,
                            context: context)
                        let unused = child.given.keys.filter { !loaded.declaredParameters.contains($0) }.sorted()
                        if !unused.isEmpty {
                            loaded.warnings.append(
                                TemplateError(
                                    .parameter,
                                    "nested stack \(child.stackPath.joined(separator: "/")) is given "
                                        + "\(unused.joined(separator: ", ")), not parameters of its template; ignored",
                                    at: SourceLocation(file: child.path)))
                        }
                        return (child.slot, .success(loaded))
                    } catch {
                        var failed = StackResult()
                        let templateError =
                            error as? TemplateError
                            ?? TemplateError(.nestedStack, "\(error)", at: SourceLocation(file: child.path))
                        if templateError.exceededLimit != nil { return (child.slot, .failure(templateError)) }
                        failed.errors.append(
                            ResourceError(name: child.stackPath.joined(separator: "/"), error: templateError))
                        return (child.slot, .success(failed))
                    }
                }
            }
            for await (slot, loaded) in group {
                switch loaded {
                case .success(let stack): childResults[slot] = stack
                case .failure(let error):
                    exceeded[slot] = error
                    group.cancelAll()
                }
            }
        }
        if let first = exceeded.keys.min(), let error = exceeded[first] { throw error }
        // As in SAM CLI: this stack's functions first, then each nested stack's, depth first.
        for case .function(let function) in slots { result.functions.append(function) }
        for case .stack(let index) in slots {
            if var child = childResults[index] {
                child.declaredParameters = []
                result.append(child)
            }
        }
        return result
    }
}
