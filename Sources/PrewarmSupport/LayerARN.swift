/// A Lambda layer version ARN, `arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION`: what a template's
/// `Layers` names, what Lambda `GetLayerVersion` is asked about, and what SAM CLI names a layer after.
///
/// One parser for the template reader and the AWS client, so that both accept exactly the same ARNs.
public struct LayerARN: Sendable, Hashable, CustomStringConvertible {
    /// The ARN exactly as written.
    public let text: String
    public let partition: String
    public let region: String
    public let account: String
    public let name: String
    public let version: Int

    /// Why a text is not a layer version ARN.
    public struct Malformed: Error, Sendable, CustomStringConvertible {
        /// The text as given.
        public var text: String
        /// Which part is wrong, and how.
        public var problem: String

        /// `layer ARN '…' is malformed: …`
        public var message: String { "layer ARN '\(text)' is malformed: \(problem)" }
        /// How an ARN is written.
        public static let hint = "write arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION"

        public var description: String { "\(message); \(Self.hint)" }
    }

    /// Parses `text`.
    ///
    /// - Throws: ``Malformed`` saying which part is wrong.
    public init(_ text: String) throws(Malformed) {
        func invalid(_ problem: String) -> Malformed { Malformed(text: text, problem: problem) }
        func isDigit(_ character: Character) -> Bool { character.isASCII && character.isNumber }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 8, parts[0] == "arn" else {
            throw invalid("expected 8 parts separated by ':', found \(parts.count)")
        }
        guard parts[1].hasPrefix("aws") else { throw invalid("partition '\(parts[1])' is not an AWS partition") }
        guard parts[2] == "lambda" else { throw invalid("service is '\(parts[2])', not 'lambda'") }
        guard !parts[3].isEmpty, parts[3].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else { throw invalid("region '\(parts[3])' is not a region") }
        guard parts[4].count == 12, parts[4].allSatisfy(isDigit) else {
            throw invalid("account '\(parts[4])' is not a 12-digit account ID")
        }
        guard parts[5] == "layer" else { throw invalid("resource type is '\(parts[5])', not 'layer'") }
        guard (1...140).contains(parts[6].count),
            parts[6].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { throw invalid("layer name '\(parts[6])' must be 1 to 140 letters, digits, '-' or '_'") }
        guard !parts[7].isEmpty, parts[7].allSatisfy(isDigit), let version = Int(parts[7]), version > 0 else {
            throw invalid("version '\(parts[7])' is not a positive whole number")
        }
        self.text = text
        partition = parts[1]
        region = parts[3]
        account = parts[4]
        name = parts[6]
        self.version = version
    }

    /// The layer's ARN without the version: what `GetLayerVersion` takes as `LayerName`, so that a layer of
    /// another account is found.
    public var layerARN: String {
        "arn:\(partition):lambda:\(region):\(account):layer:\(name)"
    }

    public var description: String { text }
}
