import Foundation

extension TemplateDocument {
    /// Where the second `key` of the mapping whose first `key` is at `line`:`column` (1-based) is, in `text`;
    /// `nil` when it cannot be found (the caller then names the first). The YAML reader says only where the
    /// first one is, and that is the key a reader keeps.
    ///
    /// A block mapping's keys start in the same column, until a line that starts further left ends it; a
    /// flow mapping's (JSON's) are at the same depth of brackets, until the bracket that closes it.
    static func duplicateLocation(of key: String, firstAt line: Int, column: Int, in text: String)
        -> (line: Int, column: Int)?
    {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
        guard line >= 1, line <= lines.count, column >= 1, column <= lines[line - 1].count else { return nil }
        let first = lines[line - 1]
        let before = first[..<(column - 1)]
        if before.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "-") }) {
            return blockDuplicate(of: key, firstAt: line, column: column, in: lines)
        }
        return flowDuplicate(of: key, firstAt: line, column: column, in: lines)
    }

    /// The length of `key` as written at `start` of `bytes` (plain, single- or double-quoted) when a `:`
    /// follows it; else `nil`.
    private static func keyLength(_ key: String, at start: Int, in bytes: [UInt8]) -> Int? {
        let plain = Array(key.utf8)
        for written in [plain, Array("\"\(key)\"".utf8), Array("'\(key)'".utf8)] {
            guard start + written.count <= bytes.count, Array(bytes[start..<(start + written.count)]) == written
            else { continue }
            var end = start + written.count
            while end < bytes.count, bytes[end] == UInt8(ascii: " ") { end += 1 }
            if end < bytes.count, bytes[end] == UInt8(ascii: ":") { return written.count }
        }
        return nil
    }

    private static func blockDuplicate(of key: String, firstAt line: Int, column: Int, in lines: [[UInt8]])
        -> (line: Int, column: Int)?
    {
        for index in line..<lines.count {
            let bytes = lines[index]
            let indent = bytes.prefix { $0 == UInt8(ascii: " ") }.count
            if indent == bytes.count || bytes[indent] == UInt8(ascii: "#") { continue }
            if indent + 1 < column { return nil }
            if indent + 1 == column, keyLength(key, at: indent, in: bytes) != nil { return (index + 1, column) }
        }
        return nil
    }

    private static func flowDuplicate(of key: String, firstAt line: Int, column: Int, in lines: [[UInt8]])
        -> (line: Int, column: Int)?
    {
        var depth = 0
        var quote: UInt8?
        var index = line - 1
        var position = column - 1 + (keyLength(key, at: column - 1, in: lines[line - 1]) ?? 1)
        while index < lines.count {
            let bytes = lines[index]
            while position < bytes.count {
                let byte = bytes[position]
                if let open = quote {
                    if byte == UInt8(ascii: "\\") && open == UInt8(ascii: "\"") {
                        position += 1
                    } else if byte == open {
                        quote = nil
                    }
                    position += 1
                    continue
                }
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth < 0 { return nil }
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    if depth == 0, keyLength(key, at: position, in: bytes) != nil { return (index + 1, position + 1) }
                    quote = byte
                default:
                    if depth == 0, keyLength(key, at: position, in: bytes) != nil,
                        position == 0
                            || [UInt8(ascii: " "), UInt8(ascii: ","), UInt8(ascii: "{")].contains(
                                bytes[position - 1])
                    {
                        return (index + 1, position + 1)
                    }
                }
                position += 1
            }
            index += 1
            position = 0
        }
        return nil
    }
}
