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

    func definition(_ entry: TemplateMapping.Entry, type: String, path: String) -> LayerDefinition {
        LayerDefinition(
            logicalID: entry.key, stackPath: stackPath, resourceType: type, contentPath: path,
            location: entry.keyLocation)
    }
}
