import PrewarmSupport
import PrewarmTemplate

/// What to plan, beyond the template itself: the command-line choices SAM CLI users know.
public struct PlanOptions: Sendable {
    /// `--arch`: build every function for these architectures instead of the template's.
    public var architectures: [Architecture]?
    /// `--invoke-image`: base images that replace the runtime's (or an Image function's).
    public var invokeImages: [InvokeImage]
    /// `--function`: plan only these functions (full name `Child/Fn`, or a logical ID).
    public var functions: [String]

    public init(architectures: [Architecture]? = nil, invokeImages: [InvokeImage] = [], functions: [String] = []) {
        self.architectures = architectures
        self.invokeImages = invokeImages
        self.functions = functions
    }
}

/// Turns a `Template` into a `Plan`: for each function and architecture the base image, the
/// image name SAM CLI looks for, the layer names and a content key; and the `BuildGraph`
/// that builds each distinct image once.
public struct Planner: Sendable {
    public var options: PlanOptions

    public init(options: PlanOptions = PlanOptions()) {
        self.options = options
    }

    /// Plans every function of `template`. A function that cannot be planned becomes a
    /// `PlanFailure`; the others are still planned.
    ///
    /// - Throws: `PlanError` when `--function` names a function the template does not have.
    public func plan(_ template: Template) throws -> Plan {
        let selected = try select(template.functions)
        var plan = Plan(
            template: template.path, functions: [], skipped: template.skipped,
            errors: template.errors.map {
                PlanFailure(
                    name: $0.name, architecture: nil, text: $0.error.problemWithAdvice, location: $0.error.location)
            },
            warnings: template.warnings.map(\.line), graph: BuildGraph(), settings: template.settings)
        var owners: [String: (function: String, key: String, base: String)] = [:]
        let project = TemplateLocation.projectDirectory(of: template.path)

        for function in selected {
            let architectures: [Architecture]
            do {
                architectures = try options.architectures ?? templateArchitecture(of: function)
            } catch let error as PlanError {
                plan.errors.append(
                    PlanFailure(
                        name: function.name, architecture: nil, text: error.line,
                        location: function.location(of: "Architectures")))
                continue
            }
            for architecture in architectures {
                do {
                    let planned = try self.plan(
                        function, on: architecture, into: &plan.graph, owners: &owners, project: project)
                    plan.functions.append(planned)
                } catch let failure as Failure {
                    plan.errors.append(
                        PlanFailure(
                            name: function.name, architecture: architecture, text: failure.error.line,
                            location: failure.location))
                }
            }
        }
        return plan
    }

    /// A `PlanError` with the place in the template it is about.
    struct Failure: Error {
        var error: PlanError
        var location: SourceLocation
    }

    private func plan(
        _ function: Function, on architecture: Architecture, into graph: inout BuildGraph,
        owners: inout [String: (function: String, key: String, base: String)], project: String
    ) throws -> PlannedFunction {
        let override = invokeImage(for: function)
        let baseImage: String
        let imageName: String
        var layers: [PlannedLayer] = []

        switch function.packageType {
        case .image:
            guard let image = function.imageURI else {
                throw Failure(
                    error: PlanError(.missingImage, "Image function has no ImageUri"), location: function.location)
            }
            // The override is the base, as asked. (SAM CLI names the image after the override
            // but still builds it from ImageUri; it rebuilds Image functions on every invoke.)
            baseImage = override ?? image
            imageName = SAMImageName.rapid(base: baseImage, prefix: "", architecture: architecture)
        case .zip:
            let runtime = try self.runtime(of: function, on: architecture)
            let runtimeTag = runtime.imageTag(for: architecture)
            baseImage = override ?? runtime.baseImage(for: architecture)
            for reference in function.layers {
                layers.append(try plannedLayer(reference, of: function))
            }
            // An override drops the runtime prefix from the rapid name; the layered name
            // depends only on the runtime tag and the layer names.
            imageName =
                layers.isEmpty
                ? SAMImageName.rapid(
                    base: baseImage, prefix: override == nil ? SAMImageName.rapidPrefix(runtimeTag: runtimeTag) : "",
                    architecture: architecture)
                : SAMImageName.withLayers(runtimeTag: runtimeTag, layerNames: layers.map(\.name))
        }

        let key = ContentKey.image(
            name: imageName, base: baseImage, architecture: architecture, layers: layers.map(\.source),
            projectDirectory: project)
        if let owner = owners[imageName], owner.key != key {
            throw Failure(
                error: PlanError(
                    .conflictingImage,
                    "needs image \(imageName) built from \(baseImage), but function \(owner.function) needs the same "
                        + "name built from \(owner.base)\(owner.base == baseImage ? " with other layers" : "")",
                    hint:
                        "sam local cannot keep both under one name; give one of them another image (\(PlanInput.invokeImages)) "
                        + "or distinct layer names"),
                location: function.location)
        }
        owners[imageName] = owners[imageName] ?? (function.name, key, baseImage)

        let baseID = BuildGraph.baseNodeID(reference: baseImage, architecture: architecture)
        graph.insert(
            BuildGraph.Node(
                id: baseID, kind: .base, needs: [], payload: .base(reference: baseImage, architecture: architecture)))
        for layer in layers {
            graph.insert(BuildGraph.Node(id: layer.nodeID, kind: .layer, needs: [], payload: .layer(layer.source)))
        }
        let imageID = NodeID("image:\(imageName)")
        var image = PlannedImage(
            name: imageName, baseImage: baseImage, baseNodeID: baseID, architecture: architecture, layers: layers,
            contentKey: key)
        image.samBuildsOnEveryInvoke = function.packageType == .image && function.runtime == nil
        graph.insert(
            BuildGraph.Node(
                id: imageID, kind: .image, needs: [baseID] + Self.unique(layers.map(\.nodeID)), payload: .image(image)))

        return PlannedFunction(
            name: function.name, architecture: architecture, packageType: function.packageType,
            runtime: function.runtime, baseImage: baseImage, image: imageName, layers: layers, contentKey: key,
            nodeID: imageID)
    }

    // MARK: - Pieces

    private func select(_ functions: [Function]) throws -> [Function] {
        guard !options.functions.isEmpty else { return functions }
        var selected: [Function] = []
        for wanted in options.functions {
            let matches = functions.filter { $0.name == wanted || $0.logicalID == wanted }
            guard !matches.isEmpty else {
                let names = functions.map(\.name)
                throw PlanError(
                    .template, "\(PlanInput.functions) \(wanted): no such function in the template",
                    hint: names.isEmpty
                        ? "the template has no functions"
                        : "its functions: \(names.prefix(20).joined(separator: ", "))\(names.count > 20 ? ", …" : "")")
            }
            for match in matches where !selected.contains(match) { selected.append(match) }
        }
        return functions.filter { selected.contains($0) }
    }

    private func templateArchitecture(of function: Function) throws -> [Architecture] {
        guard !function.architectures.isEmpty else { return [.x86_64] }
        guard function.architectures.count == 1 else {
            throw PlanError(
                .unsupportedArchitecture,
                "Architectures must hold exactly one value, not \(function.architectures.count) "
                    + "(\(function.architectures.joined(separator: ", ")))",
                hint:
                    "a Lambda function runs on one architecture; use \(PlanInput.architectures) x86_64,arm64 to build both"
            )
        }
        let name = function.architectures[0]
        guard name == "x86_64" || name == "arm64", let architecture = Architecture(name: name) else {
            throw PlanError(
                .unsupportedArchitecture, "architecture '\(name)' is not supported", hint: "use x86_64 or arm64")
        }
        return [architecture]
    }

    private func runtime(of function: Function, on architecture: Architecture) throws -> LambdaRuntime {
        guard let identifier = function.runtime else {
            throw Failure(
                error: PlanError(
                    .missingImage, "Zip function has no Runtime", hint: "set Runtime (or Globals.Function.Runtime)"),
                location: function.location)
        }
        guard let runtime = LambdaRuntime(identifier) else {
            throw Failure(
                error: PlanError(
                    .unknownRuntime, "unknown runtime '\(identifier)'",
                    hint: "supported: \(LambdaRuntime.all.map(\.identifier).joined(separator: ", "))"),
                location: function.location(of: "Runtime"))
        }
        guard runtime.architectures.contains(architecture) else {
            throw Failure(
                error: PlanError(
                    .unsupportedArchitecture, "AWS publishes no \(architecture) image for runtime \(identifier)",
                    hint:
                        "build it for \(runtime.architectures.sorted().map(\.rawValue).joined(separator: ", ")) only, "
                        + "or move to provided.al2023"),
                location: function.location(of: options.architectures == nil ? "Architectures" : "Runtime"))
        }
        return runtime
    }

    private func plannedLayer(_ reference: LayerReference, of function: Function) throws -> PlannedLayer {
        switch reference {
        case .arn(let text, let location):
            do {
                let arn = try LayerARN(layer: text)
                return PlannedLayer(name: arn.samName, source: .arn(arn), nodeID: NodeID("layer:\(arn.text)"))
            } catch {
                throw Failure(error: error, location: location)
            }
        case .template(let layer):
            return PlannedLayer(
                name: layer.logicalID, source: .local(path: layer.contentPath),
                nodeID: NodeID("layer:\(layer.contentPath)"))
        }
    }

    /// The `--invoke-image` for `function`: one naming it (by full name, `Child/Fn`, as SAM CLI
    /// matches it) wins over one for all functions.
    private func invokeImage(for function: Function) -> String? {
        options.invokeImages.last { $0.function == function.name }?.image
            ?? options.invokeImages.last { $0.function == nil }?.image
    }

    private static func unique(_ ids: [NodeID]) -> [NodeID] {
        var seen: Set<NodeID> = []
        return ids.filter { seen.insert($0).inserted }
    }
}
