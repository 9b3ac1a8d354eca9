import PrewarmSupport

/// How a function's code is packaged.
public enum PackageType: String, Sendable, Hashable {
    case zip = "Zip"
    case image = "Image"
}

/// A layer defined in the template (`AWS::Serverless::LayerVersion`, `AWS::Lambda::LayerVersion`).
public struct LayerDefinition: Sendable, Hashable {
    /// The resource's logical ID: SAM CLI's name for the layer.
    public var logicalID: String
    /// The logical IDs of the nested stacks that hold it, outermost first; empty at the root.
    public var stackPath: [String]
    public var resourceType: String
    /// The layer's content on disk (directory or zip), as an absolute path; it need not exist.
    public var contentPath: String
    public var location: SourceLocation

    /// `Stack/Child/LogicalID`: unique across nested stacks.
    public var qualifiedName: String {
        (stackPath + [logicalID]).joined(separator: "/")
    }
}

/// A layer as a function lists it: by ARN or by reference to a layer of the template.
public enum LayerReference: Sendable, Hashable {
    /// A layer version ARN, not yet validated (the planner does that, naming the function).
    case arn(String, SourceLocation)
    case template(LayerDefinition)
}

/// A Lambda function of the template, with every property that decides its local image
/// already evaluated (Globals merged, intrinsics resolved).
public struct Function: Sendable, Hashable {
    /// `Child/Function` for functions of nested stacks; the logical ID at the root.
    public var name: String
    public var logicalID: String
    public var stackPath: [String]
    public var resourceType: String
    public var packageType: PackageType
    /// The `Runtime` value (after Globals); `nil` when the template has none (most Image functions).
    public var runtime: String?
    /// The `Architectures` values as written; the planner validates them.
    public var architectures: [String]
    /// The `ImageUri` of an Image function.
    public var imageURI: String?
    /// The layers in the order SAM CLI applies them (Globals first, then the function's own).
    public var layers: [LayerReference]
    /// Where the function's code is, as an absolute path, when it is on disk.
    public var codePath: String?
    /// Where the resource is defined.
    public var location: SourceLocation
    /// Where each property that decides the image was written: `Runtime`, `Architectures`,
    /// `Layers`, `ImageUri`, `PackageType`. Missing keys fall back to `location`.
    public var propertyLocations: [String: SourceLocation]

    /// The place to name in an error about `property`.
    public func location(of property: String) -> SourceLocation {
        propertyLocations[property] ?? location
    }
}

/// A resource prewarm leaves out, with the reason, as SAM CLI leaves it out of `sam local`.
public struct SkippedResource: Sendable, Hashable {
    public var name: String
    /// Why, with the settings it mentions as values.
    public var reason: Message
    public var location: SourceLocation

    public init(name: String, reason: Message, location: SourceLocation) {
        self.name = name
        self.reason = reason
        self.location = location
    }
}

/// A resource that cannot be used, and why. The rest of the template is still used.
public struct ResourceError: Error, Sendable {
    /// The function's or nested stack's name (`Child/Function`).
    public var name: String
    public var error: TemplateError
}

/// A template with its nested stacks, read and evaluated.
public struct Template: Sendable {
    /// The root template's path.
    public var path: String
    /// Every function of every stack, in template order (a nested stack's functions where
    /// the stack is defined).
    public var functions: [Function]
    /// Every layer defined in every stack.
    public var layers: [LayerDefinition]
    public var skipped: [SkippedResource]
    /// Resources that could not be read; their siblings are still in `functions`.
    public var errors: [ResourceError]
    /// Things the user should know that do not stop anything (an unused parameter override).
    public var warnings: [TemplateError]
    /// What the root template's `Metadata.Prewarm` says.
    public var settings: PrewarmSettings
    /// The functions and layers (`Child/Name`) whose `Metadata.BuildMethod` says that `sam build` builds
    /// them: in a source template, `sam local` would run them unbuilt.
    public var resourcesWithBuildMethod: [String] = []
}
