import Crypto
import PrewarmSupport

extension LayerARN {
    /// The name SAM CLI gives this layer: `NAME-VERSION-` and the first 10 hex digits of the
    /// SHA-256 of the whole ARN; also the directory it caches the layer under.
    public var samName: String {
        "\(name)-\(version)-\(String(sha256Hex(text).prefix(10)))"
    }

    /// Parses `text` as a template's layer.
    ///
    /// - Throws: `PlanError` with code `.invalidLayerARN` that says which part is wrong.
    public init(layer text: String) throws(PlanError) {
        do {
            try self.init(text)
        } catch {
            throw PlanError(
                .invalidLayerARN, "\(error.message)",
                hint: "\(LayerARN.Malformed.hint), or !Ref a layer defined in the template")
        }
    }
}

/// Lower-case hex SHA-256 of the UTF-8 bytes of `text`.
func sha256Hex(_ text: String) -> String {
    Hex.string(SHA256.hash(data: Array(text.utf8)))
}
