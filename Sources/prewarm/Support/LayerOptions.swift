import ArgumentParser
import Foundation

/// Where downloaded layers are kept, and how large one may grow when extracted.
struct LayerOptions: ParsableArguments {
    @Option(
        name: .customLong("layer-cache-basedir"),
        help: ArgumentHelp(
            "Where layers by ARN are kept, one directory per layer, shared with SAM CLI. "
                + "Default: $SAM_LAYER_CACHE_BASEDIR, else ~/.aws-sam/layers-pkg.",
            valueName: "dir"))
    var cacheDirectory: String?

    @Option(
        name: .customLong("max-layer-size"),
        help: ArgumentHelp(
            "The most a layer may take once extracted (the zip-bomb guard): bytes, or with KB, MB, GB, KiB, MiB, GiB.",
            valueName: "size"))
    var maxSize: ByteCount = ByteCount(bytes: 1 << 30)
}

/// A size given on the command line: `1073741824`, `1GiB`, `500MB`, `64k`.
struct ByteCount: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    var bytes: Int64

    init(bytes: Int64) {
        self.bytes = bytes
    }

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let kibi = 1024.0
        let multipliers: [String: Double] = [
            "": 1, "b": 1,
            "k": kibi, "kb": 1e3, "kib": kibi,
            "m": kibi * kibi, "mb": 1e6, "mib": kibi * kibi,
            "g": kibi * kibi * kibi, "gb": 1e9, "gib": kibi * kibi * kibi,
        ]
        guard let number = Double(digits), let multiplier = multipliers[unit], number > 0 else { return nil }
        let bytes = number * multiplier
        guard bytes >= 1, bytes < Double(Int64.max) else { return nil }
        self.bytes = Int64(bytes)
    }

    var description: String {
        let units: [(String, Int64)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        for (name, size) in units where bytes >= size && bytes % size == 0 { return "\(bytes / size)\(name)" }
        return "\(bytes)"
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
