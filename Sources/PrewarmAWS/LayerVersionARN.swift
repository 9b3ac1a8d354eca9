/// A Lambda layer version ARN, `arn:PARTITION:lambda:REGION:ACCOUNT:layer:NAME:VERSION`, in the parts the
/// Lambda API needs.
///
/// PrewarmPlan's `LayerARN` validates the same text when a template is read; this type exists so that
/// PrewarmAWS depends on nothing but PrewarmHTTP.
public struct LayerVersionARN: Sendable, Hashable, CustomStringConvertible {
    public let partition: String
    public let region: String
    public let account: String
    public let name: String
    public let version: Int

    /// Parses `text`.
    ///
    /// - Throws: ``AWSError`` with code ``AWSError/Code/invalidLayerARN`` that says which part is wrong.
    public init(_ text: String) throws {
        func invalid(_ problem: String) -> AWSError {
            AWSError(
                .invalidLayerARN,
                "layer ARN '\(text)' is malformed: \(problem); write arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION")
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 8, parts[0] == "arn" else {
            throw invalid("expected 8 parts separated by ':', found \(parts.count)")
        }
        guard parts[1].hasPrefix("aws") else { throw invalid("partition '\(parts[1])' is not an AWS partition") }
        guard parts[2] == "lambda" else { throw invalid("service is '\(parts[2])', not 'lambda'") }
        guard !parts[3].isEmpty, parts[3].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else { throw invalid("region '\(parts[3])' is not a region") }
        guard parts[4].count == 12, parts[4].allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw invalid("account '\(parts[4])' is not a 12-digit account ID")
        }
        guard parts[5] == "layer" else { throw invalid("resource type is '\(parts[5])', not 'layer'") }
        guard (1...140).contains(parts[6].count),
            parts[6].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { throw invalid("layer name '\(parts[6])' must be 1 to 140 letters, digits, '-' or '_'") }
        guard let version = Int(parts[7]), version > 0, parts[7].allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw invalid("version '\(parts[7])' is not a positive whole number")
        }
        self.init(partition: parts[1], region: parts[3], account: parts[4], name: parts[6], version: version)
    }

    /// An ARN from its parts, as PrewarmPlan's `LayerARN` holds them; the parts are not checked.
    public init(partition: String = "aws", region: String, account: String, name: String, version: Int) {
        self.partition = partition
        self.region = region
        self.account = account
        self.name = name
        self.version = version
    }

    /// The layer's ARN without the version: what `GetLayerVersion` takes as `LayerName`, so that a layer of
    /// another account is found.
    public var layerARN: String {
        "arn:\(partition):lambda:\(region):\(account):layer:\(name)"
    }

    /// The whole ARN.
    public var text: String { "\(layerARN):\(version)" }

    public var description: String { text }
}
