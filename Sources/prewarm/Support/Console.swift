import Foundation

/// Writes prewarm's messages for people to standard error, so that standard output carries
/// only results (tables, JSON, DOT).
enum Console {
    static func error(_ message: String, prefixed: Bool = true) {
        write(prefixed ? "prewarm: error: \(message)" : message)
    }

    static func warning(_ message: String) {
        write("prewarm: warning: \(message)")
    }

    static func write(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
