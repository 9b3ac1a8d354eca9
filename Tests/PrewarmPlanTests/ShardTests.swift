import PrewarmPlan
import PrewarmSupport
import PrewarmTemplate
import PrewarmTestKit
import Testing

@Suite struct ShardTests {
    /// Twelve functions over two runtimes, both architectures, and a layer some of them share: six images.
    static func template(reversed: Bool = false) -> String {
        var functions = (0..<12).map { index in
            "  Fn\(index):\n    Type: AWS::Serverless::Function\n    Properties:\n"
                + "      Runtime: \(index % 3 == 0 ? "nodejs20.x" : "python3.12")\n"
                + "      Architectures: [\(index % 2 == 0 ? "x86_64" : "arm64")]\n"
                + (index % 4 == 0 ? "      Layers: [!Ref Shared]\n" : "")
        }
        if reversed { functions.reverse() }
        return """
            Globals:
              Function: {Handler: app.handler, CodeUri: src/}
            Resources:
              Shared:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: layers/shared}

            """ + functions.joined()
    }

    func plan(_ yaml: String) async throws -> Plan {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write("template.yaml", yaml)
        return try Planner(options: PlanOptions()).plan(try await TemplateLoader().load(path))
    }

    func images(_ graph: BuildGraph) -> Set<NodeID> {
        Set(graph.nodes.filter { $0.kind == .image }.map(\.id))
    }

    @Test func readsKOfN() {
        #expect(Shard("2/4") == Shard(index: 2, count: 4))
        #expect(Shard("1/1")?.description == "1/1")
        for bad in ["0/2", "3/2", "1/0", "1", "a/b", "1/2/3", "-1/2", ""] {
            #expect(Shard(bad) == nil, "\(bad)")
        }
    }

    @Test func theShardsHoldEveryImageExactlyOnceWithWhatEachNeeds() async throws {
        let plan = try await plan(Self.template())
        let all = images(plan.graph)
        // Functions with the same runtime, architecture and layers share an image: six distinct ones.
        #expect(all.count == 6)
        for count in 1...5 {
            var seen: [NodeID: Int] = [:]
            for index in 1...count {
                let shard = try #require(Shard(index: index, count: count))
                let part = plan.restricted(to: shard)
                for id in images(part.graph) { seen[id, default: 0] += 1 }
                // Every node a kept node needs is kept, before it; nothing else is.
                var earlier: Set<NodeID> = []
                for node in part.graph.nodes {
                    #expect(node.needs.allSatisfy(earlier.contains), "\(node.id) in \(shard)")
                    earlier.insert(node.id)
                }
                let needed = Set(part.graph.nodes.filter { $0.kind == .image }.flatMap(\.needs))
                #expect(Set(part.graph.nodes.filter { $0.kind != .image }.map(\.id)) == needed, "\(shard)")
                #expect(Set(part.functions.map(\.nodeID)) == images(part.graph))
            }
            #expect(seen == Dictionary(uniqueKeysWithValues: all.map { ($0, 1) }), "N = \(count)")
        }
        #expect(plan.restricted(to: try #require(Shard("1/1"))).graph.nodes.count == plan.graph.nodes.count)
    }

    @Test func theSplitDependsNeitherOnTheOrderNorOnThePlaceOfTheTemplate() async throws {
        let forwards = try await plan(Self.template())
        let backwards = try await plan(Self.template(reversed: true))
        for index in 1...3 {
            let shard = try #require(Shard(index: index, count: 3))
            #expect(images(forwards.restricted(to: shard).graph) == images(backwards.restricted(to: shard).graph))
        }
    }

    /// Two checkouts of one project at different absolute paths: the same split, and the same content
    /// keys (so a registry cache filled by one serves the other).
    @Test func twoCheckoutsAtDifferentPathsSplitAlikeWithTheSameKeys() async throws {
        let first = try TemporaryDirectory("checkout-a")
        let second = try TemporaryDirectory("checkout-b-longer-name")
        defer {
            first.remove()
            second.remove()
        }
        func plan(in directory: TemporaryDirectory) async throws -> Plan {
            let path = try directory.write("project/template.yaml", Self.template())
            return try Planner(options: PlanOptions()).plan(try await TemplateLoader().load(path))
        }
        let a = try await plan(in: first)
        let b = try await plan(in: second)
        #expect(a.graph.nodes.contains { $0.id.rawValue.contains(first.path) }, "local layer node IDs hold the path")
        #expect(
            Dictionary(uniqueKeysWithValues: a.functions.map { ($0.name, $0.contentKey) })
                == Dictionary(uniqueKeysWithValues: b.functions.map { ($0.name, $0.contentKey) }))
        for count in 1...4 {
            let splitA = ShardSplit(a.graph, count: count)
            let splitB = ShardSplit(b.graph, count: count)
            #expect(splitA.shards == splitB.shards, "N = \(count)")
            #expect(splitA.costs == splitB.costs)
        }
    }

    /// Images that share a layer go together when the balance allows: two groups of images, each on its
    /// own layer, split in two, prepare each layer once.
    @Test func imagesThatShareALayerGoTogether() async throws {
        var yaml = "Globals:\n  Function: {Handler: app.handler, CodeUri: src/, Runtime: python3.12}\nResources:\n"
        for layer in ["Red", "Blue"] {
            yaml +=
                "  \(layer):\n    Type: AWS::Serverless::LayerVersion\n    Properties: {ContentUri: layers/\(layer)}\n"
            yaml +=
                "  \(layer)Extra:\n    Type: AWS::Serverless::LayerVersion\n    Properties: {ContentUri: x/\(layer)}\n"
        }
        for index in 0..<8 {
            let group = index % 2 == 0 ? "Red" : "Blue"
            // Each image differs by its layer list: the group's layer, then one of the group's extras or not.
            let layers = index < 4 ? "[!Ref \(group)]" : "[!Ref \(group), !Ref \(group)Extra]"
            let arch = index % 4 < 2 ? "x86_64" : "arm64"
            yaml += "  Fn\(index):\n    Type: AWS::Serverless::Function\n"
            yaml += "    Properties: {Layers: \(layers), Architectures: [\(arch)]}\n"
        }
        let planned = try await plan(yaml)
        #expect(images(planned.graph).count == 8)
        let split = ShardSplit(planned.graph, count: 2)
        #expect(split.layerCounts == [2, 2], "each group's two layers in one shard: \(split.layerCounts)")
        for shard in [1, 2] {
            let part = planned.restricted(to: try #require(Shard(index: shard, count: 2)))
            let layers = Set(part.graph.nodes.filter { $0.kind == .layer }.map(\.id))
            #expect(layers.count == 2, "\(layers)")
        }
    }
}
