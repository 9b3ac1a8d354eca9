import Foundation

/// Reads the resources of one stack that decide local images: functions, layers, nested stacks.
///
/// Where SAM CLI 1.170 reads a template in its own way, this follows SAM CLI, because the point
/// is to build the image `sam local` will look for (SAM CLI 1.170's
/// `samcli/lib/providers/sam_function_provider.py`, which `ci/sam-oracle.py` runs).
struct ResourceReader: Sendable {
    /// The directory of the template, against which relative paths resolve.
    let directory: String
    /// `Stack/` for resources of a nested stack; empty at the root.
    let prefix: String
    let stackPath: [String]
    let resolver: IntrinsicResolver

    enum FunctionOutcome {
        /// The function, and what the user should know about it (a layer SAM CLI drops too).
        case function(Function, warnings: [TemplateError])
        case skipped(String)
    }

    enum StackOutcome {
        case local(path: String, given: [String: TemplateLoader.GivenParameter])
        case skipped(String)
    }

    // MARK: - Layers

    func layer(_ entry: TemplateMapping.Entry) -> TemplateLoader.LayerOutcome {
        let type = entry.value["Type"]?.scalar ?? ""
        let property = type == "AWS::Serverless::LayerVersion" ? "ContentUri" : "Content"
        do {
            let properties = try self.properties(of: entry)
            if let asset = Self.asset(of: entry), asset.property == property {
                return .defined(definition(entry, type: type, path: absolute(asset.path)))
            }
            guard let contentNode = properties?[property] else {
                return .failed(
                    TemplateError(.property, "layer \(prefix)\(entry.key) has no \(property)", at: entry.keyLocation))
            }
            switch try codeLocation(try resolver.resolve(contentNode), at: contentNode.location) {
            case .local(let path):
                return .defined(definition(entry, type: type, path: path))
            case .s3:
                return .skipped("layer content is only in S3")
            case .inline, .image:
                return .failed(
                    TemplateError(
                        .property, "a layer's \(property) must be a path or an S3 location", at: contentNode.location))
            }
        } catch let error as TemplateError {
            return .failed(error)
        } catch {
            return .failed(TemplateError(.property, "\(error)", at: entry.keyLocation))
        }
    }

    private func definition(_ entry: TemplateMapping.Entry, type: String, path: String) -> LayerDefinition {
        LayerDefinition(
            logicalID: entry.key, stackPath: stackPath, resourceType: type, contentPath: path,
            location: entry.keyLocation)
    }

    // MARK: - Functions

    func function(
        _ entry: TemplateMapping.Entry, type: String, globals: TemplateMapping?,
        layers: [String: TemplateLoader.LayerOutcome]
    ) throws -> FunctionOutcome {
        let id = Self.resourceID(entry)
        let name = prefix + id
        var properties =
            try self.properties(of: entry) ?? TemplateNode(.mapping(TemplateMapping([])), at: entry.keyLocation)
        let isServerless = type == "AWS::Serverless::Function"
        if let misplaced = properties.mapping?.entry("IgnoreGlobals") {
            throw TemplateError(
                .property, "IgnoreGlobals is a resource attribute, not a property", at: misplaced.keyLocation,
                hint: "move it beside Type and Properties")
        }
        if isServerless, let globals {
            properties = try GlobalsMerge.apply(
                globals: globals, to: properties, ignoring: entry.value["IgnoreGlobals"])
        }
        var locations: [String: SourceLocation] = [:]
        var warnings: [TemplateError] = []
        /// `key` evaluated; `lenient` for a property that does not decide the image, where a
        /// parameter with no value stands for its name, as in SAM CLI.
        func resolved(_ key: String, lenient: Bool = false) throws -> (ResolvedValue, SourceLocation)? {
            guard let node = properties[key] else { return nil }
            locations[key] = node.location
            let value = try (lenient ? resolver.lenient : resolver).resolve(node)
            return value == .noValue || value == .null ? nil : (value, node.location)
        }
        func string(_ key: String) throws -> String? {
            if let node = properties[key], Self.hasConditionalNoValue(node) {
                throw TemplateError(
                    .property, "\(key) uses Fn::If with AWS::NoValue, which SAM CLI cannot evaluate", at: node.location,
                    hint: "sam local would fail on this function; write the value without AWS::NoValue")
            }
            guard let (value, location) = try resolved(key) else { return nil }
            if case .deployTime(let what) = value {
                throw TemplateError(
                    .intrinsic, "\(key) is \(what), which is only known after deployment", at: location,
                    hint: "use a parameter with a default (or --parameter-overrides) for this value")
            }
            guard let text = value.string else {
                throw TemplateError(.property, "\(key) must be a string, not \(value.shapeDescription)", at: location)
            }
            return text
        }

        // Where the code is, and whether this is an Image function.
        let codeKey = isServerless ? "CodeUri" : "Code"
        var imageURI: String?
        var codePath: String?
        var fromDockerContext = false
        if let asset = Self.asset(of: entry), asset.property == codeKey || asset.property == "\(codeKey).ImageUri" {
            // CDK: the asset on disk replaces the S3 location (an image asset: the logical ID).
            if asset.property == codeKey {
                codePath = absolute(asset.path)
            } else {
                imageURI = entry.key.lowercased()
                fromDockerContext = true
            }
        } else if isServerless {
            imageURI = try string("ImageUri")
            // Whatever its value, even one that cannot be evaluated, SAM CLI refuses inline code.
            if let node = properties["InlineCode"] {
                let value = try? resolver.lenient.resolve(node)
                if value != .noValue, value != .null { return .skipped("inline code: sam local cannot invoke it") }
            }
            if properties["CodeUri"] != nil {
                switch lenientCodeLocation(properties["CodeUri"]) {
                case .local(let path): codePath = path
                case .s3 where imageURI == nil: return .skipped("code is only in S3")
                case .s3, .inline, .image, nil: break
                }
            } else {
                codePath = directory
            }
        } else if let node = properties["Code"] {
            switch lenientCodeLocation(node) {
            case .local(let path): codePath = path
            case .s3: return .skipped("code is only in S3")
            case .image:
                // The image decides everything: read it again, refusing a parameter with no value.
                if case .image(let uri) = try codeLocation(try resolver.resolve(node), at: node.location) {
                    imageURI = uri
                }
            case .inline: return .skipped("inline code (Code.ZipFile): sam local cannot invoke it")
            case nil: break
            }
        }

        let packageText = try string("PackageType") ?? (imageURI != nil && !isServerless ? "Image" : "Zip")
        if packageText == PackageType.image.rawValue, imageURI == nil, !isServerless, !fromDockerContext {
            // As SAM CLI does: an AWS::Lambda::Function without Code.ImageUri takes Properties.ImageUri.
            imageURI = try string("ImageUri")
        }
        guard let packageType = PackageType(rawValue: packageText) else {
            throw TemplateError(
                .property, "PackageType '\(packageText)' is neither Zip nor Image",
                at: locations["PackageType"] ?? entry.keyLocation)
        }
        if packageType == .image {
            let hasDockerContext = fromDockerContext || Self.isTruthy(entry.value["Metadata"]?["DockerContext"])
            guard let uri = imageURI else {
                throw TemplateError(
                    .property, "Image function has no ImageUri", at: entry.keyLocation,
                    hint: hasDockerContext
                        ? "its image is made by `sam build`: run sam build, then plan .aws-sam/build/template.yaml"
                        : "set ImageUri")
            }
            if Self.isECR(uri), !hasDockerContext {
                return .skipped(
                    "image is in ECR or a local registry (\(uri)) and Metadata has no DockerContext to build it")
            }
        }

        let runtime = packageType == .zip ? try string("Runtime") : nil
        var architectures: [String] = []
        if let node = properties["Architectures"], Self.hasConditionalNoValue(node) {
            throw TemplateError(
                .property, "Architectures uses Fn::If with AWS::NoValue, which SAM CLI cannot evaluate",
                at: node.location, hint: "write the value without AWS::NoValue")
        }
        if let (value, location) = try resolved("Architectures") {
            guard case .list(let items) = value, items.allSatisfy({ $0.string != nil }) else {
                throw TemplateError(
                    .property, "Architectures must be a list of strings, not \(value.shapeDescription)", at: location,
                    hint: "write Architectures: [x86_64] or [arm64]")
            }
            architectures = items.compactMap(\.string)
        }

        let layerReferences =
            packageType == .zip
            ? try self.layers(properties["Layers"], layers: layers, of: name, warnings: &warnings) : []
        return .function(
            Function(
                name: name, logicalID: entry.key, stackPath: stackPath, resourceType: type, packageType: packageType,
                runtime: runtime, architectures: architectures, imageURI: packageType == .image ? imageURI : nil,
                layers: layerReferences, codePath: codePath, location: entry.keyLocation, propertyLocations: locations),
            warnings: warnings)
    }

    /// The function's layers in order. Layers whose content is only in S3, the legacy
    /// AmazonLinux1803 pseudo-layer, values known only after deployment (`Fn::GetAtt`,
    /// `Fn::ImportValue`) are dropped, as SAM CLI drops them; the last with a warning, as the
    /// image lacks a layer the function wants.
    private func layers(
        _ node: TemplateNode?, layers: [String: TemplateLoader.LayerOutcome], of function: String,
        warnings: inout [TemplateError]
    ) throws -> [LayerReference] {
        guard let node else { return [] }
        let items: [ResolvedValue]
        if Self.hasConditionalNoValue(node) {
            // SAM CLI cannot evaluate Fn::If with AWS::NoValue and leaves the whole list as
            // written: plain ARNs and Refs to layers stay, every other entry is dropped.
            items = (node.sequence ?? []).compactMap { item in
                if let arn = item.scalar { return .string(arn) }
                if let id = item["Ref"]?.scalar, item.mapping?.count == 1, layers[id] != nil { return .resource(id) }
                return nil
            }
        } else {
            let value = try resolver.resolve(node)
            switch value {
            case .list(let list): items = list
            case .noValue, .null: items = []
            default:
                throw TemplateError(
                    .property, "Layers must be a list, not \(value.shapeDescription)", at: node.location)
            }
        }
        var references: [LayerReference] = []
        for item in items {
            switch item {
            case .string(TemplateLoader.legacyLayerARN):
                continue
            case .string(let arn) where arn.hasPrefix("arn:aws:lambda:::awslayer:"):
                throw TemplateError(
                    .property, "layer \(arn): sam local supports only the AmazonLinux1803 pseudo-layer",
                    at: node.location,
                    hint: "remove it; the runtime's base image already provides the OS")
            case .string(let arn):
                references.append(.arn(arn, node.location))
            case .resource(let id):
                switch layers[id] {
                case .defined(let layer): references.append(.template(layer))
                case .skipped: continue
                case .failed(let error):
                    throw TemplateError(
                        .property, "uses layer \(id), which cannot be read: \(error.message)", at: node.location)
                case nil:
                    // SAM CLI reads the logical ID as a layer ARN, and fails on it.
                    throw TemplateError(
                        .property, "Layers refers to \(id), a \(resolver.resourceTypes[id] ?? "resource"), not a layer",
                        at: node.location, hint: "list layer ARNs, or !Ref an AWS::Serverless::LayerVersion")
                }
            case .deployTime(let what):
                warnings.append(
                    TemplateError(
                        .property,
                        "\(function): layer \(what) is only known after deployment; sam local leaves it out too, so "
                            + "the image (and sam local) will not have this layer",
                        at: node.location,
                        hint: "pass the layer's ARN (a parameter with --parameter-overrides) to have it locally"))
            default:
                throw TemplateError(
                    .property, "a Layers item must be an ARN or a !Ref to a layer, not \(item.shapeDescription)",
                    at: node.location)
            }
        }
        return references
    }

    // MARK: - Nested stacks

    func nestedStack(_ entry: TemplateMapping.Entry, type: String) throws -> StackOutcome {
        let name = prefix + Self.resourceID(entry)
        let properties = try self.properties(of: entry)
        let key = type == "AWS::Serverless::Application" ? "Location" : "TemplateURL"
        guard let locationNode = properties?[key] else {
            throw TemplateError(.nestedStack, "nested stack \(name) has no \(key)", at: entry.keyLocation)
        }
        let location = try resolver.resolve(locationNode)
        if case .mapping = location {
            return .skipped("application is in the Serverless Application Repository, not a local template")
        }
        guard let text = location.string else {
            throw TemplateError(
                .nestedStack, "nested stack \(name): \(key) must be a path, not \(location.shapeDescription)",
                at: locationNode.location)
        }
        let path: String
        if text.hasPrefix("file://") {
            path =
                String(text.dropFirst("file://".count)).removingPercentEncoding
                ?? String(text.dropFirst("file://".count))
        } else if text.hasPrefix("s3://") || text.hasPrefix("http://") || text.hasPrefix("https://") {
            return .skipped("template is not local (\(text))")
        } else {
            path = absolute(text)
        }
        var given: [String: TemplateLoader.GivenParameter] = [:]
        if let parameters = properties?["Parameters"], !parameters.isNull {
            if let entries = parameters.mapping?.entries, !Self.isIntrinsicCall(parameters) {
                for entry in entries {
                    given[entry.key] = try givenParameter(entry)
                }
            } else {
                guard case .mapping(let values) = try resolver.resolve(parameters) else {
                    throw TemplateError(
                        .nestedStack, "nested stack \(name): Parameters must be a mapping", at: parameters.location)
                }
                for (key, value) in values {
                    given[key] = Self.givenParameter(value, named: key, at: parameters.location)
                }
            }
        }
        return .local(path: path, given: given)
    }

    /// The value a nested stack's parameter gets from this stack. A value with no text before
    /// deployment (a parameter with no value, `Fn::GetAtt`, a `Ref` to a resource) is not an
    /// error here: it is one only in the nested stack, where it decides an image.
    private func givenParameter(_ entry: TemplateMapping.Entry) throws -> TemplateLoader.GivenParameter? {
        let value: ResolvedValue
        do {
            value = try resolver.resolve(entry.value)
        } catch let error as TemplateError where error.code == .parameter || error.code == .intrinsic {
            let substitute = (try? resolver.lenient.resolve(entry.value))?.string ?? entry.key
            return .unset(
                UnsetParameter(
                    substitute: substitute,
                    problem: "(\(entry.keyLocation)) a value that has none: \(error.message)", hint: error.hint))
        }
        return Self.givenParameter(value, named: entry.key, at: entry.keyLocation)
    }

    private static func givenParameter(_ value: ResolvedValue, named name: String, at location: SourceLocation)
        -> TemplateLoader.GivenParameter?
    {
        switch value {
        case .string(let text):
            return .value(text)
        case .list(let items) where items.allSatisfy({ $0.string != nil }):
            return .value(items.compactMap(\.string).joined(separator: ","))
        case .noValue:
            return nil
        case .resource(let id):
            // SAM CLI passes the logical ID as text.
            return .unset(
                UnsetParameter(
                    substitute: id,
                    problem: "(\(location)) a reference to resource \(id), which has no value before deployment",
                    hint: "pass a layer ARN, or define the layer in the nested template"))
        default:
            return .unset(
                UnsetParameter(
                    substitute: name,
                    problem: "(\(location)) \(value.shapeDescription), which has no value before deployment",
                    hint: "sam local cannot pass it either; pass a value with a parameter"))
        }
    }

    private static func isIntrinsicCall(_ node: TemplateNode) -> Bool {
        guard let mapping = node.mapping, mapping.count == 1, let key = mapping.entries.first?.key else { return false }
        return IntrinsicResolver.isIntrinsic(key)
    }

    // MARK: - SAM CLI's reading rules

    /// The ID SAM CLI gives a resource: `Metadata.SamResourceId`, else the construct ID from a
    /// CDK `aws:cdk:path` of 2 or 3 parts (`Stack/Fn/Resource` → `Fn`), else the logical ID.
    static func resourceID(_ entry: TemplateMapping.Entry) -> String {
        let metadata = entry.value["Metadata"]
        if let id = metadata?["SamResourceId"]?.scalar, !id.isEmpty { return id }
        guard let path = metadata?["aws:cdk:path"]?.scalar, !path.isEmpty else { return entry.key }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count) else { return entry.key }
        let isStack = entry.value["Type"]?.scalar == "AWS::CloudFormation::Stack"
        let suffix = ".NestedStack"
        var id =
            parts[parts.count - 1] == "Resource" || (isStack && parts[parts.count - 2].hasSuffix(suffix))
            ? parts[parts.count - 2] : parts[parts.count - 1]
        if isStack, id.hasSuffix(suffix) { id.removeLast(suffix.count) }
        return id
    }

    /// A CDK asset: `Metadata` `aws:asset:path` and `aws:asset:property`, both needed.
    static func asset(of entry: TemplateMapping.Entry) -> (path: String, property: String)? {
        guard let metadata = entry.value["Metadata"], let path = metadata["aws:asset:path"]?.scalar,
            let property = metadata["aws:asset:property"]?.scalar
        else { return nil }
        return (path, property)
    }

    /// Whether `node` holds an `Fn::If` with `Ref: AWS::NoValue` in a branch: SAM CLI 1.170
    /// fails to evaluate such a property and keeps it as written.
    static func hasConditionalNoValue(_ node: TemplateNode) -> Bool {
        switch node.value {
        case .null, .scalar:
            return false
        case .sequence(let items):
            return items.contains(where: hasConditionalNoValue)
        case .mapping(let mapping):
            if mapping.count == 1, let entry = mapping.entries.first, entry.key == "Fn::If",
                let branches = entry.value.sequence?.dropFirst(), branches.contains(where: containsNoValue)
            {
                return true
            }
            return mapping.entries.contains { hasConditionalNoValue($0.value) }
        }
    }

    private static func containsNoValue(_ node: TemplateNode) -> Bool {
        switch node.value {
        case .null, .scalar: return false
        case .sequence(let items): return items.contains(where: containsNoValue)
        case .mapping(let mapping):
            if mapping.count == 1, node["Ref"]?.scalar == "AWS::NoValue" { return true }
            return mapping.entries.contains { containsNoValue($0.value) }
        }
    }

    /// An image SAM CLI treats as one in ECR (so it skips it without a DockerContext): an
    /// `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]`, `localhost[:PORT]` or `127.0.0.1[:PORT]`
    /// host followed by a lower-case repository path.
    static func isECR(_ uri: String) -> Bool {
        let host =
            #"(?:[a-zA-Z0-9][\w-]*\.dkr\.ecr\.[a-zA-Z0-9][\w-]*\.amazonaws\.com(?:\.cn)?"#
            + #"|localhost(?::\d{1,5})?|127\.0\.0\.1(?::\d{1,5})?)"#
        let repository = #"/(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*"#
        // A Regex per call: Regex is not Sendable, and stacks are read concurrently.
        guard let pattern = try? Regex(host + repository) else { return false }
        return uri.prefixMatch(of: pattern) != nil
    }

    private static func isTruthy(_ node: TemplateNode?) -> Bool {
        guard let node, !node.isNull else { return false }
        if let text = node.scalar { return !text.isEmpty }
        return true
    }

    // MARK: - Helpers

    /// The `Properties` mapping of a resource; `nil` when it has none.
    private func properties(of entry: TemplateMapping.Entry) throws -> TemplateNode? {
        guard let properties = entry.value["Properties"], !properties.isNull else { return nil }
        guard properties.mapping != nil else {
            throw TemplateError(
                .structure, "Properties must be a mapping, not \(properties.shapeDescription)", at: properties.location)
        }
        return properties
    }

    /// Where a function's code is, read as SAM CLI reads it: the code does not decide the image,
    /// so a parameter with no value stands for its name, and a value that cannot be evaluated
    /// (`Fn::GetAtt`, an unknown `${Name}`) leaves the code's place unknown (`nil`) instead of
    /// refusing the function. A mapping is still told apart by its keys (`S3Bucket`, `ZipFile`,
    /// `ImageUri`).
    private func lenientCodeLocation(_ node: TemplateNode?) -> CodeLocation? {
        guard let node else { return nil }
        if let value = try? resolver.lenient.resolve(node), value != .noValue, value != .null,
            let location = try? codeLocation(value, at: node.location)
        {
            return location
        }
        guard let fields = node.mapping, !Self.isIntrinsicCall(node) else { return nil }
        if fields["ImageUri"] != nil { return .image("") }
        if fields["ZipFile"] != nil { return .inline }
        if fields["Bucket"] != nil || fields["S3Bucket"] != nil { return .s3 }
        return nil
    }

    enum CodeLocation {
        case local(String)
        case s3
        case inline
        case image(String)
    }

    /// Where a `CodeUri`/`ContentUri`/`Code`/`Content` value puts the code.
    private func codeLocation(_ value: ResolvedValue, at location: SourceLocation) throws -> CodeLocation {
        switch value {
        case .string(let text):
            return text.hasPrefix("s3://") ? .s3 : .local(absolute(text))
        case .mapping(let fields):
            if let uri = fields["ImageUri"]?.string { return .image(uri) }
            if fields["ZipFile"] != nil { return .inline }
            if fields["Bucket"] != nil || fields["S3Bucket"] != nil { return .s3 }
            throw TemplateError(
                .property, "code location has none of ImageUri, ZipFile, S3Bucket or Bucket", at: location)
        default:
            throw TemplateError(
                .property, "code location must be a path or a mapping, not \(value.shapeDescription)", at: location)
        }
    }

    private func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        return URL(fileURLWithPath: directory).appendingPathComponent(path).standardizedFileURL.path
    }
}
