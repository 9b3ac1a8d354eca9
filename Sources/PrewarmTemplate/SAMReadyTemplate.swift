import Foundation
import Yams

/// A copy of a template for `sam local`, written by `prewarm build --for-sam` into another directory:
/// the same document, with each `Ref` to a layer of the template in a function's `Layers` (and in
/// `Globals.Function.Layers`) replaced by a layer ARN, local paths made absolute (they were relative to the
/// original template's directory), and each local nested stack pointing at its own derived copy.
///
/// Everything else (parameters, conditions, intrinsics; not comments) means what it meant: short tags
/// (`!Ref X`) are written in their long forms (`Ref: X`), which YAML emitters keep. A path given by an intrinsic
/// (`CodeUri: !Sub …`) cannot be made absolute; it is kept and named in ``Derived/warnings``.
public enum SAMReadyTemplate {
    /// The rewritten text of one template, and what it refers to.
    public struct Derived: Sendable {
        /// The new document, after `header`.
        public var text: String
        /// The local nested stacks of the template: logical ID, and the original template's absolute path.
        public var children: [(logicalID: String, source: String)]
        /// Paths that could not be made absolute, as `Resource.Property`.
        public var warnings: [String]
    }

    /// Rewrites the template `text` read from `path`.
    ///
    /// - Parameters:
    ///   - stackPath: the logical IDs of the nested stacks that hold this template (empty at the root), so
    ///     that `layerARNs` and `childTemplate` can be keyed by qualified name (`Child/Layer`).
    ///   - layerARNs: qualified layer name → the ARN that replaces each `Ref` to it.
    ///   - childTemplate: a nested stack's qualified name (`Child`) → where its derived copy is written.
    ///   - header: comment lines put first.
    ///   - settings: the root template's `Metadata.Prewarm` as read (absolute paths), written in place of
    ///     the relative ones, which would otherwise be resolved against the derived copy's directory.
    /// - Throws: `TemplateError` `.syntax` when `text` is not one YAML or JSON document.
    public static func derive(
        _ text: String, path: String, stackPath: [String], layerARNs: [String: String],
        childTemplate: @escaping (String) -> String, header: [String], settings: PrewarmSettings = PrewarmSettings()
    ) throws -> Derived {
        var root: Node
        do {
            guard let parsed = try Yams.compose(yaml: text) else {
                throw TemplateError(.syntax, "is empty", at: SourceLocation(file: path))
            }
            root = parsed
        } catch let error as YamlError {
            throw TemplateError(.syntax, "is not YAML or JSON: \(error)", at: SourceLocation(file: path))
        }
        let directory = (path as NSString).deletingLastPathComponent
        var rewriter = Rewriter(
            directory: directory, stackPath: stackPath, layerARNs: layerARNs, childTemplate: childTemplate,
            settings: settings)
        root = longForms(rewriter.rewrite(root))
        let body = try Yams.serialize(node: root, indent: 2, width: -1, allowUnicode: true)
        let comments = header.map { $0.isEmpty ? "#" : "# \($0)" }.joined(separator: "\n")
        return Derived(text: comments + "\n" + body, children: rewriter.children, warnings: rewriter.warnings)
    }

    /// `node` with every CloudFormation short tag in its long form, as `TemplateDocument` reads them.
    static func longForms(_ node: Node) -> Node {
        let tag = node.tag.description
        let name = tag.hasPrefix("!") && tag != "!" ? String(tag.dropFirst()) : nil
        var plain: Node
        switch node {
        case .scalar(let scalar):
            guard name != nil else { return node }
            plain = Node(scalar.string, Tag(.str), scalar.style)
        case .sequence(let sequence):
            plain = .sequence(Node.Sequence(sequence.map(longForms), Tag(.seq), sequence.style))
        case .mapping(let mapping):
            plain = .mapping(
                Node.Mapping(mapping.map { ($0.key, longForms($0.value)) }, Tag(.map), mapping.style))
        case .alias:
            return node
        }
        guard let name else { return plain }
        if name == "GetAtt", let text = plain.scalar?.string, let dot = text.firstIndex(of: ".") {
            plain = .sequence(
                Node.Sequence([
                    Node(String(text[..<dot]), Tag(.str), .plain),
                    Node(String(text[text.index(after: dot)...]), Tag(.str), .plain),
                ]))
        }
        let key = name == "Ref" || name == "Condition" ? name : "Fn::\(name)"
        return .mapping(Node.Mapping([(Node(key, Tag(.str), .plain), plain)]))
    }

    private struct Rewriter {
        var directory: String
        var stackPath: [String]
        var layerARNs: [String: String]
        var childTemplate: (String) -> String
        var settings: PrewarmSettings
        var children: [(logicalID: String, source: String)] = []
        var warnings: [String] = []

        mutating func rewrite(_ root: Node) -> Node {
            guard var document = root.mapping else { return root }
            if stackPath.isEmpty, var metadata = document["Metadata"]?.mapping,
                var prewarm = metadata["Prewarm"]?.mapping
            {
                for (key, value) in [
                    ("BaseImages", settings.baseImages), ("EmulatorDirectory", settings.emulatorDirectory),
                ] {
                    if let value, prewarm[key] != nil { prewarm[key] = Self.scalar(value) }
                }
                metadata["Prewarm"] = .mapping(prewarm)
                document["Metadata"] = .mapping(metadata)
            }
            if var globals = document["Globals"]?.mapping, var function = globals["Function"]?.mapping {
                rewriteFunction(&function, name: "Globals.Function")
                globals["Function"] = .mapping(function)
                document["Globals"] = .mapping(globals)
            }
            if var resources = document["Resources"]?.mapping {
                for key in resources.keys {
                    guard let logicalID = key.string, var resource = resources[key]?.mapping else { continue }
                    rewriteResource(&resource, logicalID: logicalID)
                    resources[key] = .mapping(resource)
                }
                document["Resources"] = .mapping(resources)
            }
            return .mapping(document)
        }

        mutating func rewriteResource(_ resource: inout Node.Mapping, logicalID: String) {
            guard let type = resource["Type"]?.string else { return }
            if var metadata = resource["Metadata"]?.mapping, TemplateLoader.functionTypes.contains(type) {
                absolutize(&metadata, "DockerContext", name: "\(logicalID).Metadata")
                resource["Metadata"] = .mapping(metadata)
            }
            guard var properties = resource["Properties"]?.mapping else { return }
            if TemplateLoader.functionTypes.contains(type) {
                rewriteFunction(&properties, name: logicalID)
            } else if TemplateLoader.layerTypes.contains(type) {
                absolutize(&properties, "ContentUri", name: logicalID)
                absolutize(&properties, "Content", name: logicalID)
            } else if TemplateLoader.stackTypes.contains(type) {
                for key in ["Location", "TemplateURL"] {
                    guard let location = plainText(properties[key]), Self.isLocalPath(location) else { continue }
                    let source = Self.absolute(location, in: directory)
                    children.append((logicalID, source))
                    properties[key] = Self.scalar(childTemplate((stackPath + [logicalID]).joined(separator: "/")))
                }
            }
            resource["Properties"] = .mapping(properties)
        }

        mutating func rewriteFunction(_ properties: inout Node.Mapping, name: String) {
            absolutize(&properties, "CodeUri", name: name)
            absolutize(&properties, "Code", name: name)
            guard var layers = properties["Layers"]?.sequence else { return }
            for index in layers.indices {
                guard let referenced = Self.referencedLogicalID(layers[index]) else { continue }
                if let arn = layerARNs[(stackPath + [referenced]).joined(separator: "/")] {
                    layers[index] = Self.scalar(arn)
                }
            }
            properties["Layers"] = .sequence(layers)
        }

        /// Makes `mapping[key]` absolute when it is a plain relative local path.
        mutating func absolutize(_ mapping: inout Node.Mapping, _ key: String, name: String) {
            guard let value = mapping[key] else { return }
            if let text = plainText(value) {
                if Self.isLocalPath(text) { mapping[key] = Self.scalar(Self.absolute(text, in: directory)) }
            } else if value.mapping?.count == 1 || !value.tag.description.hasPrefix("tag:yaml.org") {
                // An intrinsic: SAM resolves it, relative to the derived copy's directory.
                if value.mapping?["Bucket"] == nil && value.mapping?["S3Bucket"] == nil {
                    warnings.append("\(name).\(key)")
                }
            }
        }

        /// The text of a scalar that carries no CloudFormation tag.
        func plainText(_ node: Node?) -> String? {
            guard let node, case .scalar(let scalar) = node, !scalar.tag.description.hasPrefix("!") else { return nil }
            return scalar.string
        }

        /// `X` for `!Ref X` or `{"Ref": "X"}`.
        static func referencedLogicalID(_ node: Node) -> String? {
            if case .scalar(let scalar) = node, scalar.tag.description == "!Ref" { return scalar.string }
            if let mapping = node.mapping, mapping.count == 1, let value = mapping["Ref"]?.string { return value }
            return nil
        }

        static func isLocalPath(_ text: String) -> Bool {
            !text.isEmpty && !text.contains("://") && !text.hasPrefix("/")
        }

        static func absolute(_ path: String, in directory: String) -> String {
            let joined = URL(fileURLWithPath: directory).appendingPathComponent(path).standardizedFileURL.path
            // `CodeUri: src/` and `src` mean the same; keep what the author wrote at the end.
            return path.hasSuffix("/") && !joined.hasSuffix("/") ? joined + "/" : joined
        }

        static func scalar(_ text: String) -> Node {
            Node(text, Tag(.str), .plain)
        }
    }
}
