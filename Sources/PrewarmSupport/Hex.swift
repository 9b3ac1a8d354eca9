/// Lowercase hexadecimal digits of bytes: how SHA-256 digests are written in downloads, SigV4
/// signatures and OCI digests.
public enum Hex {
    /// Inlinable, so that each caller's sequence type (a digest, `Data`, an array) gets its own specialized
    /// loop: through the generic entry point, the planner's content keys spent more here than hashing.
    @inlinable
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: output, as: UTF8.self)
    }
}
