/// One of N parts of a plan's images, so that N machines (a CI matrix) split one template between them.
///
/// An image node belongs to shard `K/N` when the first 64 bits of the SHA-256 of its node ID (`image:` and
/// the image's name, which SAM derives from the runtime, architecture and layers, and which one content
/// only has), mod N, are K − 1. That is the same on every machine that plans the same template, whatever
/// the order of its functions and wherever it is checked out — the plan's content key would not be, as it
/// holds the absolute paths of local layers — so the N shards together hold every image exactly once. A
/// shard keeps the layer and base nodes its images need, and only those.
public struct Shard: Sendable, Hashable, CustomStringConvertible {
    /// The part, from 1.
    public let index: Int
    /// How many parts.
    public let count: Int

    /// `index/count` with 1 ≤ index ≤ count; `nil` otherwise.
    public init?(index: Int, count: Int) {
        guard count >= 1, (1...count).contains(index) else { return nil }
        self.index = index
        self.count = count
    }

    /// Reads `K/N`, e.g. `2/4`; `nil` for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else { return nil }
        self.init(index: index, count: count)
    }

    /// Whether the node with the ID `nodeID` is in this shard.
    public func includes(nodeID: String) -> Bool {
        let digest = sha256Hex(nodeID)
        let value = UInt64(digest.prefix(16), radix: 16) ?? 0
        return Int(value % UInt64(count)) == index - 1
    }

    public var description: String { "\(index)/\(count)" }
}

extension BuildGraph {
    /// The graph with only `shard`'s image nodes and the nodes they need, in the same (topological) order.
    public func restricted(to shard: Shard) -> BuildGraph {
        var kept: Set<String> = []
        for node in nodes.reversed() {
            if node.kind == .image {
                guard shard.includes(nodeID: node.id) else { continue }
            } else if !kept.contains(node.id) {
                continue
            }
            kept.insert(node.id)
            kept.formUnion(node.needs)
        }
        var graph = BuildGraph()
        for node in nodes where kept.contains(node.id) { graph.insert(node) }
        return graph
    }
}

extension Plan {
    /// The plan with only `shard`'s images: its graph restricted (see ``BuildGraph/restricted(to:)``) and
    /// its functions those whose image is in the shard. Errors, warnings and skipped resources are kept.
    public func restricted(to shard: Shard) -> Plan {
        var plan = self
        plan.graph = graph.restricted(to: shard)
        plan.functions = functions.filter { plan.graph.node($0.nodeID) != nil }
        return plan
    }
}
