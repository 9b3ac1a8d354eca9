import PrewarmSupport
import PrewarmTemplate

/// A layer of a planned function: the name SAM CLI gives it and where its content is.
public struct PlannedLayer: Sendable, Hashable {
    /// SAM CLI's name: the logical ID for a template layer, `NAME-VERSION-hash` for an ARN.
    public var name: String
    public var source: BuildGraph.LayerSource
    /// The graph node that provides it.
    public var nodeID: NodeID

    public init(name: String, source: BuildGraph.LayerSource, nodeID: NodeID) {
        self.name = name
        self.source = source
        self.nodeID = nodeID
    }
}

/// One function on one architecture, with the image SAM CLI will look for.
public struct PlannedFunction: Sendable, Hashable {
    public var name: String
    public var architecture: Architecture
    public var packageType: PackageType
    public var runtime: String?
    public var baseImage: String
    /// The image name `sam local` looks for.
    public var image: String
    public var layers: [PlannedLayer]
    public var contentKey: String
    /// The graph node that builds `image`.
    public var nodeID: NodeID
}

/// A function (or nested stack, or layer) that could not be planned, and why.
public struct PlanFailure: Sendable, Hashable {
    public var name: String
    /// The architecture the failure is about, when it is about one.
    public var architecture: Architecture?
    /// What is wrong and what to do, on one line, without the location, with the inputs it mentions as
    /// values.
    public var text: Message
    public var location: SourceLocation?

    public init(name: String, architecture: Architecture?, text: Message, location: SourceLocation?) {
        self.name = name
        self.architecture = architecture
        self.text = text
        self.location = location
    }

    /// ``text``, each input named by its mention.
    public var message: String { text.description }

    /// `file:line:column: function NAME: message`, with the inputs it mentions as values.
    public var line: Message {
        let subject = architecture.map { "\(name) (\($0))" } ?? name
        guard let location else { return "\(subject): " + text }
        return "\(location): \(subject): " + text
    }

    /// `file:line:column: function NAME: message`.
    public var description: String { line.description }
}

/// Everything `prewarm` will build for a template, and everything it will not.
public struct Plan: Sendable {
    public var template: String
    public var functions: [PlannedFunction]
    public var skipped: [SkippedResource]
    public var errors: [PlanFailure]
    /// What planning found that the reader should know, with the inputs each mentions as values.
    public var warnings: [Message]
    public var graph: BuildGraph
    /// The template's own prewarm settings (`Metadata.Prewarm`).
    public var settings = PrewarmSettings()
}
