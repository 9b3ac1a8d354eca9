import Foundation
import PrewarmSupport
import Yams

/// Reads a template file (YAML or JSON) into a `TemplateNode` tree.
///
/// CloudFormation's short tags become their long forms: `!Ref X` → `{Ref: X}`,
/// `!GetAtt A.B` → `{Fn::GetAtt: [A, B]}`, `!Condition C` → `{Condition: C}`, and every other
/// `!Name v` → `{Fn::Name: v}`. Duplicate keys, unknown tags and syntax errors are reported
/// with file, line and column.
public enum TemplateDocument {
    /// The short tags CloudFormation accepts, other than `!Ref`, `!Condition` and `!GetAtt`.
    static let functionTags: Set<String> = [
        "Sub", "If", "Join", "Select", "Split", "FindInMap", "Equals", "Not", "And", "Or",
        "Base64", "Cidr", "GetAZs", "ImportValue", "Transform", "ToJsonString", "Length",
    ]

    /// How much more a document may expand to than it is long. Every value takes at least one
    /// character, and a string no more characters than it is written with, unless YAML aliases
    /// repeat them: counting one per value plus each string's bytes bounds an alias bomb, of
    /// lists or of long strings, at twice the document's length plus this.
    static let aliasAllowance = 10_000

    /// How deep lists and mappings may nest: libyaml's limit (`yaml_set_max_nest_level`), so
    /// that reading a template never recurses deeper than this.
    static let maximumNesting = 1_000

    /// Reads and parses the file at `path`.
    ///
    /// - Throws: `TemplateError` with code `.fileNotFound`, `.unreadable` or `.syntax`.
    public static func load(contentsOf path: String) throws -> TemplateNode {
        try requireFile(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TemplateError(.unreadable, "cannot be read (permissions?)", at: SourceLocation(file: path))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TemplateError(.unreadable, "is not UTF-8 text", at: SourceLocation(file: path))
        }
        return try parse(text, file: path)
    }

    /// Checks that there is a file at `path`, as `load(contentsOf:)` does before it reads it.
    ///
    /// - Throws: `TemplateError` with code `.fileNotFound`, or `.unreadable` for a directory.
    package static func requireFile(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TemplateError(
                .fileNotFound, "no template at this path", at: SourceLocation(file: path),
                hint: "check the path, or run prewarm from the directory that holds template.yaml")
        }
        guard !isDirectory.boolValue else {
            throw TemplateError(
                .unreadable, "is a directory, not a template file", at: SourceLocation(file: path),
                hint: "name the template file inside it, e.g. \(path)/template.yaml")
        }
    }

    /// Parses template text; `file` is used only in locations.
    ///
    /// - Throws: `TemplateError` with code `.syntax` for text that is not one YAML or JSON document.
    public static func parse(_ text: String, file: String) throws -> TemplateNode {
        var text = text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        // JSON permits tabs as indentation, YAML does not. Inside JSON strings a raw tab is
        // invalid anyway, so in a JSON document every tab is white space and a space keeps
        // every column where it was.
        if text.first(where: { !$0.isWhitespace }) == "{", text.contains("\t") {
            text = text.replacingOccurrences(of: "\t", with: " ")
        }
        let root: Node?
        do {
            // No implicit typing: CloudFormation reads every scalar as text, and resolving types
            // with regular expressions would dominate the time spent on a large template.
            let parser = try Parser(yaml: text, resolver: .basic)
            root = try parser.singleRoot()
        } catch let error as YamlError {
            throw syntaxError(error, file: file, text: text)
        }
        guard let root else {
            return TemplateNode(.null, at: SourceLocation(file: file, line: 1, column: 1))
        }
        var converter = Converter(file: file, nodeLimit: 2 * text.utf8.count + aliasAllowance)
        return try converter.convert(root)
    }

    private static func syntaxError(_ error: YamlError, file: String, text: String) -> TemplateError {
        func located(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> TemplateError {
            if problem.hasPrefix("Maximum nesting level") {
                // libyaml's own cap, which also keeps every later step's recursion shallow.
                return TemplateError(
                    .syntax, "lists and mappings nest more than \(maximumNesting) levels deep here",
                    at: SourceLocation(file: file, line: mark.line, column: mark.column),
                    hint: "no template needs this depth; flatten the value (SAM CLI cannot read it either)")
            }
            var message = "not valid YAML or JSON: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line))" }
            return TemplateError(
                .syntax, Message(message), at: SourceLocation(file: file, line: mark.line, column: mark.column))
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return located(problem, context, mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams names the keys sorted, and where the first of them first appears; say where it appears again.
            let keys = duplicates.sorted().map { "'\($0)'" }.joined(separator: ", ")
            let mark = context.mark
            guard let key = duplicates.first,
                let again = duplicateLocation(of: key, firstAt: mark.line, column: mark.column, in: text)
            else {
                return TemplateError(
                    .syntax, "duplicate key \(keys) in one mapping",
                    at: SourceLocation(file: file, line: mark.line, column: mark.column),
                    hint: "CloudFormation rejects duplicate keys; keep one")
            }
            return TemplateError(
                .syntax, "duplicate key \(keys) in one mapping (first at line \(mark.line))",
                at: SourceLocation(file: file, line: again.line, column: again.column),
                hint: "CloudFormation rejects duplicate keys; keep one")
        case .reader(let problem, _, _, _):
            return TemplateError(.syntax, "not valid text: \(problem)", at: SourceLocation(file: file))
        default:
            return TemplateError(.syntax, "not valid YAML or JSON: \(error)", at: SourceLocation(file: file))
        }
    }

    /// Converts Yams nodes into `TemplateNode`s, expanding short tags.
    private struct Converter {
        let file: String
        let nodeLimit: Int
        var nodesSeen = 0

        init(file: String, nodeLimit: Int) {
            self.file = file
            self.nodeLimit = nodeLimit
        }

        func location(_ mark: Mark?) -> SourceLocation {
            SourceLocation(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0)
        }

        mutating func convert(_ node: Node) throws -> TemplateNode {
            nodesSeen += 1
            if case .scalar(let scalar) = node { nodesSeen += scalar.string.utf8.count }
            if nodesSeen > nodeLimit {
                throw TemplateError(
                    .syntax, "YAML aliases expand the document to more than \(nodeLimit) values and characters",
                    at: location(node.mark), hint: "CloudFormation does not accept aliases; write the values out")
            }
            let plain: TemplateNode
            let tag: String
            switch node {
            case .scalar(let scalar):
                tag = scalar.tag.rawValue
                let isNull =
                    scalar.style == .plain && tag.isEmpty
                    && (scalar.string.isEmpty || scalar.string == "~" || scalar.string == "null"
                        || scalar.string == "Null" || scalar.string == "NULL")
                plain = TemplateNode(isNull ? .null : .scalar(scalar.string), at: location(scalar.mark))
            case .sequence(let sequence):
                tag = sequence.tag.rawValue
                var items: [TemplateNode] = []
                items.reserveCapacity(sequence.count)
                for item in sequence { items.append(try convert(item)) }
                plain = TemplateNode(.sequence(items), at: location(sequence.mark))
            case .mapping(let mapping):
                tag = mapping.tag.rawValue
                var entries: [TemplateMapping.Entry] = []
                entries.reserveCapacity(mapping.count)
                for (key, value) in mapping {
                    guard let keyText = key.scalar?.string else {
                        throw TemplateError(
                            .syntax, "a mapping key must be a plain string, not a list or mapping",
                            at: location(key.mark))
                    }
                    entries.append(
                        TemplateMapping.Entry(key: keyText, keyLocation: location(key.mark), value: try convert(value)))
                }
                plain = TemplateNode(.mapping(TemplateMapping(entries)), at: location(mapping.mark))
            case .alias(let alias):
                throw TemplateError(.syntax, "unresolved YAML alias", at: location(alias.mark))
            }
            return try expandShortTag(tag, plain)
        }

        func expandShortTag(_ tag: String, _ node: TemplateNode) throws -> TemplateNode {
            guard tag.hasPrefix("!"), tag != "!" else { return node }
            let name = String(tag.dropFirst())
            let longForm: (String, TemplateNode)
            switch name {
            case "Ref", "Condition":
                longForm = (name, node)
            case "GetAtt":
                if let text = node.scalar {
                    guard let dot = text.firstIndex(of: ".") else {
                        throw TemplateError(
                            .intrinsic, "!GetAtt \(text) needs the form Resource.Attribute", at: node.location)
                    }
                    let parts = [String(text[..<dot]), String(text[text.index(after: dot)...])]
                    let items = parts.map { TemplateNode(.scalar($0), at: node.location) }
                    longForm = ("Fn::GetAtt", TemplateNode(.sequence(items), at: node.location))
                } else {
                    longForm = ("Fn::GetAtt", node)
                }
            case _ where TemplateDocument.functionTags.contains(name):
                longForm = ("Fn::\(name)", node)
            default:
                throw TemplateError(
                    .syntax, "unknown tag \(tag)", at: node.location,
                    hint: """
                        CloudFormation knows !Ref, !Sub, !GetAtt, !If, !Join, !Select, !Split, !FindInMap, \
                        !Equals, !Not, !And, !Or, !Condition, !Base64, !Cidr, !GetAZs, !ImportValue
                        """)
            }
            let entry = TemplateMapping.Entry(key: longForm.0, keyLocation: node.location, value: longForm.1)
            return TemplateNode(.mapping(TemplateMapping([entry])), at: node.location)
        }
    }
}
