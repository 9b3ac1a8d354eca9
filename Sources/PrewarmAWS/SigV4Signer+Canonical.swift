import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension SigV4Signer {
    /// The SHA-256 of nothing, the payload hash of a request without a body.
    static let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The canonical URI of `path` (as sent): for S3 the path URI-encoded once (what is already
    /// percent-encoded stays so); for other services the path with dot segments and repeated slashes
    /// removed, URI-encoded again (a `%` becomes `%25`).
    func canonicalPath(_ path: String) -> String {
        guard normalizesPath else {
            return path.isEmpty ? "/" : Self.uriEncode(bytes: Self.percentDecode(path), keepSlash: true)
        }
        return Self.uriEncode(Self.normalize(path), keepSlash: true)
    }

    /// RFC 3986 section 5.2.4 "remove dot segments", also collapsing repeated slashes, as AWS services expect.
    static func normalize(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                _ = output.popLast()
            } else {
                output.append(segment)
            }
        }
        let first = path.hasPrefix("/") ? "/" : ""
        let last = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return first + output.joined(separator: "/") + last
    }

    /// The canonical query string: each name and value percent-decoded and encoded again (RFC 3986), the
    /// pairs sorted by name then value, joined by `&`. A name without `=` gets an empty value.
    static func canonicalQuery(_ query: String) -> String {
        let pairs = query.split(separator: "&", omittingEmptySubsequences: true).map { item -> (String, String) in
            let equals = item.firstIndex(of: "=") ?? item.endIndex
            let name = item[..<equals]
            let value: Substring = equals == item.endIndex ? "" : item[item.index(after: equals)...]
            return (uriEncode(bytes: percentDecode(name)), uriEncode(bytes: percentDecode(value)))
        }
        return pairs.sorted { left, right in
            left.0 == right.0
                ? left.1.utf8.lexicographicallyPrecedes(right.1.utf8)
                : left.0.utf8.lexicographicallyPrecedes(right.0.utf8)
        }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// `text`'s UTF-8 bytes with every byte but the unreserved characters (`A-Z a-z 0-9 - . _ ~`, and `/`
    /// when `keepSlash`) written as `%XX` in upper case.
    static func uriEncode<Text: StringProtocol>(_ text: Text, keepSlash: Bool = false) -> String {
        uriEncode(bytes: Array(text.utf8), keepSlash: keepSlash)
    }

    static func uriEncode(bytes: [UInt8], keepSlash: Bool = false) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes of `text` with each valid `%XX` replaced by the byte it stands for (`+` is kept).
    static func percentDecode<Text: StringProtocol>(_ text: Text) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A header value trimmed, with each inner run of white space made one space.
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0.isNewline }).joined(separator: " ")
    }

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

}

/// The parts of a URL that a signature covers, cut without validating or decoding anything.
struct SigV4URL {
    /// `host[:port]`, without a default port (80 for http, 443 for https) or user information.
    var host = ""
    /// The path as written; empty when there is none.
    var path = ""
    /// The query after `?`, without the fragment.
    var query = ""

    init(_ url: String) {
        var rest = Substring(url)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        if let question = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: question)...])
            rest = rest[..<question]
        }
        var scheme = ""
        if let separator = rest.range(of: "://") {
            scheme = rest[..<separator.lowerBound].lowercased()
            rest = rest[separator.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            var authority = rest[..<slash]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            host = String(authority).lowercased()
            if (scheme == "http" && host.hasSuffix(":80")) || (scheme == "https" && host.hasSuffix(":443")) {
                host = String(host[..<(host.lastIndex(of: ":") ?? host.endIndex)])
            }
            rest = rest[slash...]
        }
        path = String(rest)
    }
}
