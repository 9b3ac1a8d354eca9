import Foundation

// SAM CLI's reading rules, and the helpers that read properties and code locations.
extension ResourceReader {
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

    static func containsNoValue(_ node: TemplateNode) -> Bool {
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

    static func isTruthy(_ node: TemplateNode?) -> Bool {
        guard let node, !node.isNull else { return false }
        if let text = node.scalar { return !text.isEmpty }
        return true
    }

    // MARK: - Helpers

    /// The `Properties` mapping of a resource; `nil` when it has none.
    func properties(of entry: TemplateMapping.Entry) throws -> TemplateNode? {
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
    func lenientCodeLocation(_ node: TemplateNode?) -> CodeLocation? {
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
    func codeLocation(_ value: ResolvedValue, at location: SourceLocation) throws -> CodeLocation {
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

    func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        return URL(fileURLWithPath: directory).appendingPathComponent(path).standardizedFileURL.path
    }
}
