import Foundation

// Functions: runtime, architectures, layers, package type and image, with Globals, as SAM CLI reads them.
extension ResourceReader {
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
                    hint: "use a parameter with a default (or \(TemplateInput.parameterOverrides)) for this value")
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
        // The CodeUri or Code that names a local path, for the warning when nothing is there.
        var namedCode: TemplateNode?
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
                case .local(let path):
                    codePath = path
                    namedCode = properties["CodeUri"]
                case .s3 where imageURI == nil: return .skipped("code is only in S3")
                case .s3, .inline, .image, nil: break
                }
            } else {
                codePath = directory
            }
        } else if let node = properties["Code"] {
            switch lenientCodeLocation(node) {
            case .local(let path):
                codePath = path
                namedCode = node
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
                        ? "its image is made by `sam build`: run sam build, and prewarm reads .aws-sam/build/template.yaml"
                        : "set ImageUri")
            }
            if Self.isECR(uri), !hasDockerContext {
                return .skipped(
                    "image is in ECR or a local registry (\(uri)) and Metadata has no DockerContext to build it")
            }
        }

        // An Image function may have one too (its own, or from Globals): SAM CLI then does not rebuild it.
        let runtime = try string("Runtime")
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

        if packageType == .zip, let namedCode, let codePath, !FileManager.default.fileExists(atPath: codePath) {
            warnings.append(
                TemplateError(
                    .missingCode,
                    """
                    \(name): \(codeKey) \(namedCode.scalar ?? codePath) does not exist (\(codePath)); prewarm builds \
                    the image, but sam local cannot invoke the function
                    """,
                    at: namedCode.location, hint: "fix the path, or run sam build first if it makes it"))
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
    func layers(
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
                        .property, "uses layer \(id), which cannot be read: \(error.problem)", at: node.location)
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
                        """
                        \(function): layer \(what) is only known after deployment; sam local leaves it out too, so \
                        the image (and sam local) will not have this layer
                        """,
                        at: node.location,
                        hint:
                            "pass the layer's ARN (a parameter with \(TemplateInput.parameterOverrides)) to have it locally"
                    ))
            default:
                throw TemplateError(
                    .property, "a Layers item must be an ARN or a !Ref to a layer, not \(item.shapeDescription)",
                    at: node.location)
            }
        }
        return references
    }
}
