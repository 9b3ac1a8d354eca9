import Foundation
import PrewarmSupport
import PrewarmTemplate

/// The version of every JSON document prewarm prints (`schemaVersion`), written in this one place: it
/// grows when a field changes meaning or goes away; new fields may appear without it changing.
public enum JSONSchema {
    public static let version = 1
}

extension Plan {
    /// The plan as one JSON document (the shape documented in the README):
    /// `{"schemaVersion", "template", "functions", "skipped", "errors", "warnings", "graph": {"nodes"}, "summary"}`.
    /// Keys are sorted, so the same plan always prints the same bytes.
    /// With `shards`, each function carries its image's `shard` and `"shards"` lists each shard's images,
    /// layers and cost (``ShardSplit``). `spell` spells the inputs that errors and warnings mention (a
    /// program's flags); by default each is named by its mention.
    public func json(
        pretty: Bool = true, shards: Int? = nil, spell: (any MessageInput) -> String = { $0.mention }
    ) -> String {
        var writer = JSONWriter(pretty: pretty, capacity: functions.count * 640 + graph.nodes.count * 320)
        jsonDocument(shards: shards, spell: spell).write(to: &writer)
        return writer.text
    }

    /// The document ``json(pretty:shards:spell:)`` writes.
    func jsonDocument(shards: Int?, spell: (any MessageInput) -> String = { $0.mention }) -> JSONPlan {
        var document = JSONPlan(self, spell: spell)
        if let shards {
            let split = ShardSplit(graph, count: shards)
            for index in document.functions.indices {
                document.functions[index].shard = split.shard(of: NodeID(document.functions[index].node))
            }
            document.shards = (1...split.count).map { index in
                JSONPlan.ShardSummary(
                    index: index, images: split.shards.values.filter { $0 == index }.count,
                    layers: split.layerCounts[index - 1], cost: split.costs[index - 1])
            }
        }
        return document
    }

    /// The build graph in Graphviz's DOT language: layers, base images and images, and the
    /// functions that use each image.
    public func dot() -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        var lines = [
            "digraph prewarm {", "  rankdir=LR;", "  node [fontname=\"Helvetica\", fontsize=10];",
        ]
        for node in graph.nodes {
            let (shape, label): (String, String)
            switch node.payload {
            case .layer(.arn(let arn)): (shape, label) = ("folder", "layer \(arn.name):\(arn.version)\n\(arn.region)")
            case .layer(.local(let path)):
                (shape, label) = ("folder", "layer \(URL(fileURLWithPath: path).lastPathComponent)")
            case .base(let reference, let architecture):
                (shape, label) = ("cylinder", "\(reference)\n\(architecture.platform)")
            case .image(let image): (shape, label) = ("box", image.name)
            }
            lines.append("  \(quoted(node.id.rawValue)) [shape=\(shape), label=\(quoted(label))];")
            for need in node.needs { lines.append("  \(quoted(need.rawValue)) -> \(quoted(node.id.rawValue));") }
        }
        for function in functions {
            let id = "function:\(function.name)@\(function.architecture)"
            lines.append(
                "  \(quoted(id)) [shape=ellipse, style=dashed, label=\(quoted("\(function.name)\n\(function.architecture)"))];"
            )
            lines.append("  \(quoted(function.nodeID.rawValue)) -> \(quoted(id)) [style=dashed];")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The rows of the table for people: a header, then one row per function and architecture.
    public var tableRows: [[String]] {
        var rows = [["FUNCTION", "ARCH", "RUNTIME", "IMAGE", "LAYERS"]]
        for function in functions {
            rows.append([
                function.name, function.architecture.rawValue, function.runtime ?? "(image)", function.image,
                function.layers.isEmpty ? "-" : function.layers.map(\.name).joined(separator: ","),
            ])
        }
        return rows
    }

    /// `12 functions → 5 images (3 base images, 4 layers); 1 skipped, 2 errors`.
    public var summary: String {
        let images = graph.count(of: .image)
        var text =
            "\(functions.count) function build\(functions.count == 1 ? "" : "s") → \(images) image\(images == 1 ? "" : "s") "
            + "(\(graph.count(of: .base)) base image\(graph.count(of: .base) == 1 ? "" : "s"), "
            + "\(graph.count(of: .layer)) layer\(graph.count(of: .layer) == 1 ? "" : "s"))"
        if !skipped.isEmpty { text += "; \(skipped.count) skipped" }
        if !errors.isEmpty { text += "; \(errors.count) error\(errors.count == 1 ? "" : "s")" }
        return text
    }
}

// MARK: - JSON shape

/// The plan's JSON document. `write(to:)` writes it (Plan+JSON.swift); it is `Encodable` too, so that tests
/// can hold that against `JSONEncoder`'s bytes.
struct JSONPlan: Encodable {
    struct Function: Encodable {
        var name: String
        var architecture: String
        var packageType: String
        var runtime: String?
        var baseImage: String
        var image: String
        var layers: [String]
        var contentKey: String
        var node: String
        var samBuildsOnInvoke: SAMBuild?
        /// With `--shards N`: the shard that builds the function's image.
        var shard: Int?

        struct SAMBuild: Encodable {
            var reason: String
            var message: String
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(architecture, forKey: .architecture)
            try container.encode(packageType, forKey: .packageType)
            try container.encode(runtime, forKey: .runtime)
            try container.encode(baseImage, forKey: .baseImage)
            try container.encode(image, forKey: .image)
            try container.encode(layers, forKey: .layers)
            try container.encode(contentKey, forKey: .contentKey)
            try container.encode(node, forKey: .node)
            // null when sam local uses the image as it is: the field is always there.
            try container.encode(samBuildsOnInvoke, forKey: .samBuildsOnInvoke)
            try container.encodeIfPresent(shard, forKey: .shard)
        }

        enum CodingKeys: String, CodingKey {
            case name, architecture, packageType, runtime, baseImage, image, layers, contentKey, node, samBuildsOnInvoke
            case shard
        }
    }
    struct Skipped: Encodable { var name, reason, location: String }
    struct Failure: Encodable {
        var name: String
        var architecture: String?
        var message: String
        var location: String?
    }
    struct Node: Encodable {
        var id: String
        var kind: String
        var needs: [String]
        var image: String?
        var reference: String?
        var platform: String?
        var arn: String?
        var path: String?
        var contentKey: String?
        /// An image node's base node, by ID.
        var base: String?
    }
    struct Graph: Encodable { var nodes: [Node] }
    struct Summary: Encodable {
        var functions, images, bases, layers, skipped, errors: Int
    }
    /// One shard of `--shards N`: how many images and layers it builds, and its cost.
    struct ShardSummary: Encodable {
        var index, images, layers, cost: Int
    }

    /// The version of this document's shape, as in every JSON document prewarm prints.
    var schemaVersion = JSONSchema.version
    var template: String
    var functions: [Function]
    var skipped: [Skipped]
    var errors: [Failure]
    var warnings: [String]
    var graph: Graph
    var summary: Summary
    /// With `--shards N` only.
    var shards: [ShardSummary]?

    init(_ plan: Plan, spell: (any MessageInput) -> String) {
        template = plan.template
        functions = plan.functions.map {
            Function(
                name: $0.name, architecture: $0.architecture.rawValue, packageType: $0.packageType.rawValue,
                runtime: $0.runtime, baseImage: $0.baseImage, image: $0.image, layers: $0.layers.map(\.name),
                contentKey: $0.contentKey, node: $0.nodeID.rawValue,
                samBuildsOnInvoke: $0.samBuildsOnInvoke.map {
                    Function.SAMBuild(reason: $0.code.rawValue, message: $0.message)
                })
        }
        skipped = plan.skipped.map {
            Skipped(name: $0.name, reason: $0.reason.rendered(spell), location: $0.location.description)
        }
        errors = plan.errors.map {
            Failure(
                name: $0.name, architecture: $0.architecture?.rawValue, message: $0.text.rendered(spell),
                location: $0.location?.description)
        }
        warnings = plan.warnings.map { $0.rendered(spell) }
        graph = Graph(
            nodes: plan.graph.nodes.map { node in
                var entry = Node(id: node.id.rawValue, kind: node.kind.rawValue, needs: node.needs.map(\.rawValue))
                switch node.payload {
                case .layer(.arn(let arn)): entry.arn = arn.text
                case .layer(.local(let path)): entry.path = path
                case .base(let reference, let architecture):
                    entry.reference = reference
                    entry.platform = architecture.platform
                case .image(let image):
                    entry.image = image.name
                    entry.platform = image.architecture.platform
                    entry.contentKey = image.contentKey
                    entry.base = image.baseNodeID.rawValue
                }
                return entry
            })
        summary = Summary(
            functions: plan.functions.count, images: plan.graph.count(of: .image), bases: plan.graph.count(of: .base),
            layers: plan.graph.count(of: .layer), skipped: plan.skipped.count, errors: plan.errors.count)
    }
}
