import PrewarmSupport

/// The work a plan needs done: one node per distinct layer, per distinct base image and
/// platform, and per distinct image, with an edge from each image to what it needs.
///
/// Nodes are kept in a topological order (everything a node needs comes before it), so a
/// scheduler can start any node whose needs are done.
public struct BuildGraph: Sendable {
    /// What a node produces.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A Lambda layer's content, downloaded (ARN) or read from disk (template layer).
        case layer
        /// A base image for one platform.
        case base
        /// An image that `sam local` looks for.
        case image
    }

    /// Where a layer's content comes from.
    public enum LayerSource: Sendable, Hashable {
        case arn(LayerARN)
        case local(path: String)
    }

    /// What each kind of node carries.
    public enum Payload: Sendable, Hashable {
        case layer(LayerSource)
        case base(reference: String, architecture: Architecture)
        case image(PlannedImage)
    }

    /// One unit of work.
    public struct Node: Sendable, Hashable, Identifiable {
        /// Stable across runs for the same template: `layer:…`, `base:…`, `image:…`.
        public var id: NodeID
        public var kind: Kind
        /// The nodes that must be done before this one, by ID.
        public var needs: [NodeID]
        public var payload: Payload

        public init(id: NodeID, kind: Kind, needs: [NodeID], payload: Payload) {
            self.id = id
            self.kind = kind
            self.needs = needs
            self.payload = payload
        }
    }

    public private(set) var nodes: [Node] = []
    private var positions: [NodeID: Int] = [:]

    public init() {}

    /// The node with `id`, or `nil` when the graph has none.
    public func node(_ id: NodeID) -> Node? {
        positions[id].map { nodes[$0] }
    }

    /// Adds `node` unless a node with its ID is already there; returns whether it was added.
    /// Every ID in `node.needs` must already be in the graph, which keeps the order topological.
    @discardableResult
    public mutating func insert(_ node: Node) -> Bool {
        guard positions[node.id] == nil else { return false }
        precondition(node.needs.allSatisfy { positions[$0] != nil }, "a node's needs are added before it")
        positions[node.id] = nodes.count
        nodes.append(node)
        return true
    }

    /// The ID of the node that makes the base image `reference` available for `architecture`:
    /// `base:<reference>@<platform>`.
    public static func baseNodeID(reference: String, architecture: Architecture) -> NodeID {
        NodeID("base:\(reference)@\(architecture.platform)")
    }

    /// How many nodes of each kind.
    public func count(of kind: Kind) -> Int {
        nodes.lazy.filter { $0.kind == kind }.count
    }
}

/// An image that `sam local` looks for, and what goes into it.
public struct PlannedImage: Sendable, Hashable {
    /// The name SAM CLI looks for.
    public var name: String
    /// The base image's reference, as written in the `FROM` of the image.
    public var baseImage: String
    /// The graph node that makes `baseImage` available for `architecture`; one of the image
    /// node's needs, whose result is the base image's ID.
    public var baseNodeID: NodeID
    public var architecture: Architecture
    /// The layers in the order they are applied (later ones overwrite earlier ones).
    public var layers: [PlannedLayer]
    /// Hash of everything the template decides about the image's content.
    public var contentKey: String
    /// Whether SAM CLI builds this image on every invoke whatever is there (an Image function: no
    /// runtime), so that the useful build is SAM's own Dockerfile, whose steps SAM then finds cached.
    public var samBuildsOnEveryInvoke = false

    /// - Parameter baseNodeID: the node that provides the base; by default the ID the planner
    ///   gives it, `BuildGraph.baseNodeID(reference:architecture:)`.
    public init(
        name: String, baseImage: String, baseNodeID: NodeID? = nil, architecture: Architecture,
        layers: [PlannedLayer], contentKey: String
    ) {
        self.name = name
        self.baseImage = baseImage
        self.baseNodeID = baseNodeID ?? BuildGraph.baseNodeID(reference: baseImage, architecture: architecture)
        self.architecture = architecture
        self.layers = layers
        self.contentKey = contentKey
    }
}
