import Foundation

/// Left-aligned columns separated by two spaces; the last column is not padded.
enum TableText {
    static func render(_ rows: [[String]]) -> String {
        guard let header = rows.first else { return "" }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows {
            for (column, cell) in row.enumerated() where column < row.count - 1 {
                widths[column] = max(widths[column], cell.count)
            }
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}

extension TableText {
    /// `rows` rendered to fit `width` columns: when they are wider, the cells of column `shrinking` are cut
    /// in the middle (`samcli/lambda-py…f01cf9de8ed7`) so that every column up to and including `kept`
    /// still shows its first `keptWidth` characters; what is still too wide is cut at the end with `…`.
    static func render(_ rows: [[String]], width: Int, shrinking: Int, kept: Int, keptWidth: Int) -> String {
        guard let header = rows.first, shrinking < header.count, kept < header.count else { return render(rows) }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) } }
        // The kept columns, and one more for the `…` of a line cut after them.
        let needed =
            (0...kept).reduce(0) { total, column in
                total + (column == kept ? min(widths[column], keptWidth) : widths[column]) + (column == kept ? 0 : 2)
            } + 1
        var fitted = rows
        if needed > width {
            let room = max(12, widths[shrinking] - (needed - width))
            fitted = rows.map { row in
                var row = row
                if row[shrinking].count > room {
                    let cell = row[shrinking]
                    let tail = (room - 1) / 2
                    row[shrinking] = String(cell.prefix(room - 1 - tail)) + "…" + String(cell.suffix(tail))
                }
                return row
            }
        }
        return render(fitted).split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.count > width ? String(line.prefix(width - 1)) + "…" : String(line)
        }.joined(separator: "\n")
    }
}

enum TimeText {
    /// `2026-11-23T18:09:34Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    /// How long ago `date` was, roughly: `12 seconds ago`, `5 minutes ago`, `3 hours ago`, `2 days ago`.
    static func age(of date: Date, now: Date = Date()) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        for (unit, size) in [("day", 86_400), ("hour", 3_600), ("minute", 60)] where seconds >= size {
            let count = seconds / size
            return "\(count) \(unit)\(count == 1 ? "" : "s") ago"
        }
        return "\(seconds) second\(seconds == 1 ? "" : "s") ago"
    }

    /// `0.4s`, `12.3s`, `2m05s`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        return String(format: "%dm%02ds", whole / 60, whole % 60)
    }
}

enum JSONText {
    /// Pretty JSON with sorted keys: the same value always prints the same bytes.
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// One line of JSON with sorted keys, for JSON-lines progress.
    static func line(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
