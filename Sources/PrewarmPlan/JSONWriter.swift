import PrewarmSupport

/// JSON written straight into bytes, in the layout `JSONEncoder` gives with `.withoutEscapingSlashes`, and
/// `.prettyPrinted` when `pretty`: two spaces of indent, `"key" : value`, an empty array or object as an
/// opening and a closing line with an empty line between (without it, no space and no line at all). Keys
/// are written in the order the caller gives, which for a sorted document is its sorted order.
///
/// A plan of thousands of functions is megabytes of JSON; `JSONEncoder` first builds a tree of boxed
/// values and sorts every object's keys, which took as long as planning (`Benchmarks/plan-scale`).
/// Tests compare this layout with `JSONEncoder`'s byte for byte.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// The depth of the value being written, for the indent.
    private var depth = 0
    /// Whether the container being written has no member yet.
    private var empty = true
    private let pretty: Bool

    init(pretty: Bool = true, capacity: Int = 0) {
        self.pretty = pretty
        bytes.reserveCapacity(capacity)
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: - Containers

    /// `{`, then the members the caller writes with ``key(_:)`` and a value, then ``endObject()``.
    mutating func beginObject() { begin(UInt8(ascii: "{")) }
    mutating func endObject() { end(UInt8(ascii: "}")) }
    /// `[`, then the elements the caller writes with ``element()`` and a value, then ``endArray()``.
    mutating func beginArray() { begin(UInt8(ascii: "[")) }
    mutating func endArray() { end(UInt8(ascii: "]")) }

    /// Starts a member of the object being written: its separator, indent and `"key" : `.
    mutating func key(_ name: String) {
        element()
        string(name)
        if pretty {
            bytes.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")])
        } else {
            bytes.append(UInt8(ascii: ":"))
        }
    }

    /// Starts an element of the array being written: its separator and indent.
    mutating func element() {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        newLine()
    }

    private mutating func begin(_ bracket: UInt8) {
        bytes.append(bracket)
        depth += 1
        empty = true
    }

    private mutating func end(_ bracket: UInt8) {
        // An empty container still gets its own lines, as JSONEncoder writes it.
        if empty, pretty { bytes.append(UInt8(ascii: "\n")) }
        depth -= 1
        newLine()
        bytes.append(bracket)
        empty = false
    }

    private mutating func newLine() {
        guard pretty else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * 2))
    }

    // MARK: - Values

    mutating func null() { bytes.append(contentsOf: "null".utf8) }

    mutating func int(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }

    /// `value` quoted, with `"`, `\` and control characters escaped as JSONEncoder escapes them; other
    /// characters, `/` and non-ASCII among them, as they are.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(contentsOf: Hex.string(CollectionOfOne(byte)).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `value`, or `null`.
    mutating func string(orNull value: String?) {
        if let value { string(value) } else { null() }
    }

    /// An array of strings.
    mutating func strings(_ values: [String]) {
        beginArray()
        for value in values {
            element()
            string(value)
        }
        endArray()
    }

    /// `"key" : "value"` when `value` is there; nothing otherwise (as an absent optional is encoded).
    mutating func member(_ name: String, ifPresent value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }
}
