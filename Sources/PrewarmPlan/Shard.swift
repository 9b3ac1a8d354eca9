import PrewarmSupport

/// One of N parts of a plan's images, so that N machines (a CI matrix) split one template between them.
///
/// The images are split by affinity (``ShardSplit``): images that share layers and bases tend to land in
/// the same shard, so that a layer is prepared on as few runners as possible, while each shard's cost
/// stays balanced. The split is computed from the plan alone — image names, layer names or ARNs, base
/// references, fixed weights; never a path, a measurement or the order of the functions — so every machine
/// that plans the same template computes the same split, wherever it is checked out, and the N shards
/// together hold every image exactly once. A shard keeps the layer and base nodes its images need, and
/// only those.
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

    public var description: String { "\(index)/\(count)" }
}

/// How a graph's images are split into N shards, by affinity.
///
/// Every image costs ``Weight/image``, and every layer and base a shard needs costs its weight once in
/// that shard (``Weight``: a layer by ARN, downloaded from AWS, more than a local one). Images are taken
/// in an order that keeps the images of a group together — by their most shared layer, then by name — and
/// each goes to the shard where it adds the least cost, among the shards that stay under a capacity of
/// 1.05 × the mean cost; when none does, to the shard whose cost stays smallest. The capacity comes from a
/// first pass of the same procedure, so that it counts the layers shared across shards.
public struct ShardSplit: Sendable {
    /// The fixed weights of the cost: computed from the template alone, never measured.
    public enum Weight {
        public static let image = 1
        public static let localLayer = 3
        public static let arnLayer = 6
        public static let base = 2
    }

    /// How many shards.
    public let count: Int
    /// Image node ID → its shard, from 1.
    public let shards: [NodeID: Int]
    /// Each shard's cost, in order.
    public let costs: [Int]
    /// How many layers each shard prepares, in order.
    public let layerCounts: [Int]

    /// Splits the image nodes of `graph` into `count` shards.
    public init(_ graph: BuildGraph, count: Int) {
        self.count = max(count, 1)
        // What each image needs, by names that are the same on every machine.
        var needs: [(id: String, dependencies: [String])] = []
        var weights: [String: Int] = [:]
        var users: [String: Int] = [:]
        for node in graph.nodes {
            guard case .image(let image) = node.payload else { continue }
            var dependencies = ["base \(image.baseNodeID)"]
            weights[dependencies[0]] = Weight.base
            for layer in image.layers {
                switch layer.source {
                case .arn(let arn):
                    dependencies.append("arn \(arn.text)")
                    weights[dependencies[dependencies.count - 1]] = Weight.arnLayer
                case .local:
                    dependencies.append("layer \(layer.name)")
                    weights[dependencies[dependencies.count - 1]] = Weight.localLayer
                }
            }
            let unique = Array(Set(dependencies)).sorted()
            for dependency in unique { users[dependency, default: 0] += 1 }
            needs.append((node.id.rawValue, unique))
        }
        // Images grouped by their most shared layer (bases only when there is no layer), then by name.
        func primary(_ dependencies: [String]) -> String {
            let layers = dependencies.filter { !$0.hasPrefix("base ") }
            return (layers.isEmpty ? dependencies : layers).max {
                (users[$0] ?? 0, $1) < (users[$1] ?? 0, $0)
            } ?? ""
        }
        needs.sort { (primary($0.dependencies), $0.id) < (primary($1.dependencies), $1.id) }

        // A first pass counts what the shards share; the second keeps each under 1.05 × the mean.
        let count = self.count
        // Each pass's capacity is 1.1 × the mean cost of the pass before, which counts what shards share.
        var total = needs.count * Weight.image + weights.values.reduce(0, +)
        var assigned: [String: Int] = [:]
        for _ in 0..<3 {
            assigned = Self.assign(
                needs, weights: weights, count: count, capacity: (total * 11 + count * 10 - 1) / (count * 10))
            total = Self.costs(of: assigned, needs, weights: weights, count: count).reduce(0, +)
        }
        assigned = Self.improve(assigned, needs, weights: weights, count: count)
        shards = Dictionary(uniqueKeysWithValues: assigned.map { (NodeID($0.key), $0.value) })
        costs = Self.costs(of: assigned, needs, weights: weights, count: count)
        var layers = [Set<String>](repeating: [], count: count)
        for image in needs {
            guard let shard = assigned[image.id] else { continue }
            layers[shard - 1].formUnion(image.dependencies.filter { !$0.hasPrefix("base ") })
        }
        layerCounts = layers.map(\.count)
    }

    /// Each shard's cost under `assignment`.
    private static func costs(
        of assignment: [String: Int], _ needs: [(id: String, dependencies: [String])], weights: [String: Int],
        count: Int
    ) -> [Int] {
        var held = [Set<String>](repeating: [], count: count)
        var costs = [Int](repeating: 0, count: count)
        for image in needs {
            guard let shard = assignment[image.id] else { continue }
            costs[shard - 1] += Weight.image
            held[shard - 1].formUnion(image.dependencies)
        }
        for (index, dependencies) in held.enumerated() {
            costs[index] += dependencies.reduce(0) { $0 + (weights[$1] ?? 0) }
        }
        return costs
    }

    /// Moves single images between shards while that lowers the total cost and keeps the receiving shard
    /// under 1.2 × the mean: a layer needed by few images of a shard moves to where the rest of its
    /// images are. At most 20 passes; the same input always gives the same result.
    private static func improve(
        _ assignment: [String: Int], _ needs: [(id: String, dependencies: [String])], weights: [String: Int],
        count: Int
    ) -> [String: Int] {
        var assignment = assignment
        var references = [[String: Int]](repeating: [:], count: count)
        var costs = [Int](repeating: 0, count: count)
        for image in needs {
            guard let shard = assignment[image.id].map({ $0 - 1 }) else { continue }
            costs[shard] += Weight.image
            for dependency in image.dependencies {
                references[shard][dependency, default: 0] += 1
                if references[shard][dependency] == 1 { costs[shard] += weights[dependency] ?? 0 }
            }
        }
        /// Moves `images` (indices into `needs`) from shard `from` to `to`.
        func move(_ images: [Int], from: Int, to: Int) {
            for index in images {
                let image = needs[index]
                for dependency in image.dependencies {
                    references[from][dependency, default: 0] -= 1
                    if references[from][dependency] == 0 {
                        references[from][dependency] = nil
                        costs[from] -= weights[dependency] ?? 0
                    }
                    references[to][dependency, default: 0] += 1
                    if references[to][dependency] == 1 { costs[to] += weights[dependency] ?? 0 }
                }
                costs[from] -= Weight.image
                costs[to] += Weight.image
                assignment[image.id] = to + 1
            }
        }
        /// The change of total cost, and what `to` would cost, if `images` moved from `from` to `to`.
        func change(_ images: [Int], from: Int, to: Int) -> (total: Int, receiving: Int) {
            var leaving: [String: Int] = [:]
            var arriving: Set<String> = []
            for index in images {
                for dependency in needs[index].dependencies {
                    leaving[dependency, default: 0] += 1
                    arriving.insert(dependency)
                }
            }
            let saved =
                images.count * Weight.image
                + leaving.filter { references[from][$0.key] == $0.value }.reduce(0) { $0 + (weights[$1.key] ?? 0) }
            let added =
                images.count * Weight.image
                + arriving.filter { (references[to][$0] ?? 0) == 0 }.reduce(0) { $0 + (weights[$1] ?? 0) }
            return (added - saved, costs[to] + added)
        }
        for _ in 0..<20 {
            var moved = false
            // Whole groups first: the images of a shard that need one layer, moved together.
            for from in 0..<count {
                var groups: [String: [Int]] = [:]
                for (index, image) in needs.enumerated() where assignment[image.id] == from + 1 {
                    for dependency in image.dependencies where !dependency.hasPrefix("base ") {
                        groups[dependency, default: []].append(index)
                    }
                }
                for dependency in groups.keys.sorted() {
                    let group = (groups[dependency] ?? []).filter { assignment[needs[$0].id] == from + 1 }
                    guard !group.isEmpty else { continue }
                    let capacity = costs.reduce(0, +) * 12 / (count * 10)
                    var best: (shard: Int, change: Int)?
                    for to in 0..<count where to != from {
                        let (total, receiving) = change(group, from: from, to: to)
                        guard total < 0, receiving <= capacity, total < (best?.change ?? 0) else { continue }
                        best = (to, total)
                    }
                    if let best {
                        move(group, from: from, to: best.shard)
                        moved = true
                    }
                }
            }
            for image in needs {
                guard let from = assignment[image.id].map({ $0 - 1 }) else { continue }
                let saved =
                    Weight.image
                    + image.dependencies.filter { references[from][$0] == 1 }.reduce(0) { $0 + (weights[$1] ?? 0) }
                let total = costs.reduce(0, +)
                let capacity = total * 12 / (count * 10)
                var best: (shard: Int, change: Int)?
                for to in 0..<count where to != from {
                    let added =
                        Weight.image
                        + image.dependencies.filter { (references[to][$0] ?? 0) == 0 }.reduce(0) {
                            $0 + (weights[$1] ?? 0)
                        }
                    let change = added - saved
                    guard change < 0, costs[to] + added <= capacity, change < (best?.change ?? 0) else { continue }
                    best = (to, change)
                }
                guard let best else { continue }
                for dependency in image.dependencies {
                    references[from][dependency, default: 0] -= 1
                    if references[from][dependency] == 0 {
                        references[from][dependency] = nil
                        costs[from] -= weights[dependency] ?? 0
                    }
                    references[best.shard][dependency, default: 0] += 1
                    if references[best.shard][dependency] == 1 { costs[best.shard] += weights[dependency] ?? 0 }
                }
                costs[from] -= Weight.image
                costs[best.shard] += Weight.image
                assignment[image.id] = best.shard + 1
                moved = true
            }
            if !moved { break }
        }
        return assignment
    }

    /// One pass: each image, in order, to the shard where it adds least without going over `capacity`,
    /// else to the one whose cost stays smallest.
    private static func assign(
        _ needs: [(id: String, dependencies: [String])], weights: [String: Int], count: Int, capacity: Int
    ) -> [String: Int] {
        var held = [Set<String>](repeating: [], count: count)
        var costs = [Int](repeating: 0, count: count)
        var shards: [String: Int] = [:]
        for image in needs {
            let added = held.map { shard in
                Weight.image + image.dependencies.filter { !shard.contains($0) }.reduce(0) { $0 + (weights[$1] ?? 0) }
            }
            let order = held.indices.sorted { (added[$0], costs[$0], $0) < (added[$1], costs[$1], $1) }
            let chosen =
                order.first { costs[$0] + added[$0] <= capacity }
                ?? held.indices.min { (costs[$0] + added[$0], $0) < (costs[$1] + added[$1], $1) } ?? 0
            held[chosen].formUnion(image.dependencies)
            costs[chosen] += added[chosen]
            shards[image.id] = chosen + 1
        }
        return shards
    }

    /// The shard of the image node `nodeID`; `nil` for a node that is not an image of the graph.
    public func shard(of nodeID: NodeID) -> Int? {
        shards[nodeID]
    }
}

extension BuildGraph {
    /// The graph with only `shard`'s image nodes (``ShardSplit``) and the nodes they need, in the same
    /// (topological) order.
    public func restricted(to shard: Shard) -> BuildGraph {
        let split = ShardSplit(self, count: shard.count)
        var kept: Set<NodeID> = []
        for node in nodes.reversed() {
            if node.kind == .image {
                guard split.shard(of: node.id) == shard.index else { continue }
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
