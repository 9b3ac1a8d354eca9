/// A managed Lambda runtime (`python3.12`, `nodejs20.x`, `provided.al2023`, …) and the base
/// image AWS publishes for it, named as SAM CLI names it.
public struct LambdaRuntime: Sendable, Hashable, CustomStringConvertible {
    /// The identifier as written in a template's `Runtime`.
    public let identifier: String
    /// The architectures AWS publishes a base image for.
    public let architectures: Set<Architecture>

    /// Every runtime SAM CLI 1.164–1.170 can run locally.
    public static let all: [LambdaRuntime] = {
        let both: Set<Architecture> = [.x86_64, .arm64]
        var runtimes: [LambdaRuntime] = []
        for version in [16, 18, 20, 22, 24] { runtimes.append(LambdaRuntime("nodejs\(version).x", both)) }
        for minor in 8...14 { runtimes.append(LambdaRuntime("python3.\(minor)", both)) }
        for version in ["3.2", "3.3", "3.4", "4.0"] { runtimes.append(LambdaRuntime("ruby\(version)", both)) }
        for name in [
            "java8.al2", "java8.al2023", "java11", "java11.al2023", "java17", "java17.al2023", "java21", "java25",
        ] {
            runtimes.append(LambdaRuntime(name, both))
        }
        for version in [6, 8, 10] { runtimes.append(LambdaRuntime("dotnet\(version)", both)) }
        runtimes.append(LambdaRuntime("provided.al2", both))
        runtimes.append(LambdaRuntime("provided.al2023", both))
        runtimes.append(LambdaRuntime("go1.x", [.x86_64]))
        runtimes.append(LambdaRuntime("provided", [.x86_64]))
        return runtimes
    }()

    private static let byIdentifier: [String: LambdaRuntime] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.identifier, $0) })

    private init(_ identifier: String, _ architectures: Set<Architecture>) {
        self.identifier = identifier
        self.architectures = architectures
    }

    /// The runtime named `identifier`, or `nil` when SAM CLI does not support it.
    public init?(_ identifier: String) {
        guard let runtime = Self.byIdentifier[identifier] else { return nil }
        self = runtime
    }

    /// The repository and tag under `public.ecr.aws/lambda/`, before any architecture suffix:
    /// `python:3.12`, `nodejs:20`, `java:8.al2`, `provided:al2023`, `provided:alami`, `go:1`.
    public var repositoryAndTag: String {
        switch identifier {
        case "provided": return "provided:alami"
        case "provided.al2": return "provided:al2"
        case "provided.al2023": return "provided:al2023"
        default:
            // Split at the first digit; a trailing ".x" is dropped (nodejs20.x → nodejs:20).
            guard let digit = identifier.firstIndex(where: \.isNumber) else { return identifier }
            var version = identifier[digit...]
            if version.hasSuffix(".x") { version = version.dropLast(2) }
            return "\(identifier[..<digit]):\(version)"
        }
    }

    /// Whether the published tags carry an architecture suffix; only the x86_64-only
    /// runtimes (`go1.x`, `provided`) have none.
    public var hasArchitectureSuffix: Bool {
        architectures.count > 1
    }

    /// The runtime image tag SAM CLI uses: `python:3.12-x86_64`, `go:1`.
    public func imageTag(for architecture: Architecture) -> String {
        hasArchitectureSuffix ? "\(repositoryAndTag)-\(architecture.rawValue)" : repositoryAndTag
    }

    /// The published base image: `public.ecr.aws/lambda/python:3.12-x86_64`.
    public func baseImage(for architecture: Architecture) -> String {
        "public.ecr.aws/lambda/\(imageTag(for: architecture))"
    }

    public var description: String { identifier }
}
