/// A Lambda instruction set architecture, as written in a template's `Architectures`.
public enum Architecture: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case x86_64
    case arm64

    /// Reads a template or command-line value. Docker's and the kernel's names
    /// (`amd64`, `aarch64`) are accepted too; returns `nil` for anything else.
    public init?(name: String) {
        switch name {
        case "x86_64", "amd64": self = .x86_64
        case "arm64", "aarch64": self = .arm64
        default: return nil
        }
    }

    /// The OCI platform string: `linux/amd64` or `linux/arm64`.
    public var platform: String {
        switch self {
        case .x86_64: "linux/amd64"
        case .arm64: "linux/arm64"
        }
    }

    /// The OCI `architecture` value: `amd64` or `arm64`.
    public var ociArchitecture: String {
        switch self {
        case .x86_64: "amd64"
        case .arm64: "arm64"
        }
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
