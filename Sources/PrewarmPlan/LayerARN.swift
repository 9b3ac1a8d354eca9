import Crypto

/// A Lambda layer version ARN: `arn:aws:lambda:us-east-1:123456789012:layer:my-layer:3`.
public struct LayerARN: Sendable, Hashable, CustomStringConvertible {
    /// The ARN exactly as written.
    public let text: String
    public let partition: String
    public let region: String
    public let account: String
    public let name: String
    public let version: Int

    /// Parses `text`.
    ///
    /// - Throws: `PlanError` with code `.invalidLayerARN` that says which part is wrong.
    public init(_ text: String) throws {
        func invalid(_ problem: String) -> PlanError {
            PlanError(
                .invalidLayerARN, "layer ARN '\(text)' is malformed: \(problem)",
                hint: "write arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION, "
                    + "or !Ref a layer defined in the template")
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 8, parts[0] == "arn" else {
            throw invalid("expected 8 parts separated by ':', found \(parts.count)")
        }
        guard parts[1].hasPrefix("aws") else { throw invalid("partition '\(parts[1])' is not an AWS partition") }
        guard parts[2] == "lambda" else { throw invalid("service is '\(parts[2])', not 'lambda'") }
        guard !parts[3].isEmpty, parts[3].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw invalid("region '\(parts[3])' is not a region")
        }
        guard parts[4].count == 12, parts[4].allSatisfy(\.isASCIIDigit) else {
            throw invalid("account '\(parts[4])' is not a 12-digit account ID")
        }
        guard parts[5] == "layer" else { throw invalid("resource type is '\(parts[5])', not 'layer'") }
        guard (1...140).contains(parts[6].count),
            parts[6].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else {
            throw invalid("layer name '\(parts[6])' must be 1 to 140 letters, digits, '-' or '_'")
        }
        guard !parts[7].isEmpty, parts[7].allSatisfy(\.isASCIIDigit), let version = Int(parts[7]), version > 0 else {
            throw invalid("version '\(parts[7])' is not a positive whole number")
        }
        self.text = text
        partition = parts[1]
        region = parts[3]
        account = parts[4]
        name = parts[6]
        self.version = version
    }

    /// The name SAM CLI gives this layer: `NAME-VERSION-` and the first 10 hex digits of the
    /// SHA-256 of the whole ARN; also the directory it caches the layer under.
    public var samName: String {
        "\(name)-\(version)-\(String(sha256Hex(text).prefix(10)))"
    }

    public var description: String { text }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// Lower-case hex SHA-256 of the UTF-8 bytes of `text`.
func sha256Hex(_ text: String) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var hex: [UInt8] = []
    hex.reserveCapacity(64)
    for byte in SHA256.hash(data: Array(text.utf8)) {
        hex.append(digits[Int(byte >> 4)])
        hex.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: hex, as: UTF8.self)
}
