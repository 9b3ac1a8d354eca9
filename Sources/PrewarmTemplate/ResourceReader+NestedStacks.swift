import Foundation

// Nested stacks: where the child template is, and the parameters it is given.
extension ResourceReader {
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
    func givenParameter(_ entry: TemplateMapping.Entry) throws -> TemplateLoader.GivenParameter? {
        let value: ResolvedValue
        do {
            value = try resolver.resolve(entry.value)
        } catch let error as TemplateError where error.code == .parameter || error.code == .intrinsic {
            let substitute = (try? resolver.lenient.resolve(entry.value))?.string ?? entry.key
            var unset = UnsetParameter(
                substitute: substitute,
                problem: "(\(entry.keyLocation)) a value that has none: \(error.problem)", hint: error.advice)
            unset.override = error.parameterOverride
            return .unset(unset)
        }
        return Self.givenParameter(value, named: entry.key, at: entry.keyLocation)
    }

    static func givenParameter(_ value: ResolvedValue, named name: String, at location: SourceLocation)
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

    static func isIntrinsicCall(_ node: TemplateNode) -> Bool {
        guard let mapping = node.mapping, mapping.count == 1, let key = mapping.entries.first?.key else { return false }
        return IntrinsicResolver.isIntrinsic(key)
    }
}
