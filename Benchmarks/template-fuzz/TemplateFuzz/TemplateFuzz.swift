// template-fuzz: runs seeded mutations of SAM templates through prewarm's template reader and
// planner, in this process, and checks that none crashes, none takes longer than the time limit
// and the process stays under the memory limit.
//
// Usage: TemplateFuzz [--runs N] [--seed S] [--time-limit SECONDS] [--memory-limit MB] [SEED_DIR…]
// (defaults: 10000 runs, seed 1, 10 s, 300 MB, Tests/Fixtures/sam). A crash kills the process
// (non-zero exit); a run over the time limit is reported by a watchdog, which exits 1 at once.
// Prints a closing line `template-fuzz: N passed, M failed`.
import Foundation
import PrewarmPlan
import PrewarmTemplate

/// SplitMix64: small, fast, and the same sequence for the same seed on every platform.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// One mutated template: the root file and any nested templates beside it.
struct Mutant {
    var kind: String
    var files: [String: [UInt8]]
}

struct Options {
    var runs = 10_000
    var seed: UInt64 = 1
    var timeLimit = 10.0
    var memoryLimitMB = 300.0
    var seedDirectories: [String] = []

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--runs": options.runs = Int(iterator.next() ?? "") ?? options.runs
            case "--seed": options.seed = UInt64(iterator.next() ?? "") ?? options.seed
            case "--time-limit": options.timeLimit = Double(iterator.next() ?? "") ?? options.timeLimit
            case "--memory-limit": options.memoryLimitMB = Double(iterator.next() ?? "") ?? options.memoryLimitMB
            default: options.seedDirectories.append(argument)
            }
        }
        if options.seedDirectories.isEmpty { options.seedDirectories = ["Tests/Fixtures/sam"] }
        return options
    }
}

/// The seeds: every template under the seed directories, plus a few written here.
func seedTemplates(_ directories: [String]) -> [[UInt8]] {
    var seeds: [[UInt8]] = []
    for directory in directories {
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix(".yaml") || path.hasSuffix(".json") || path.hasSuffix(".yml") else { continue }
            if let data = FileManager.default.contents(atPath: "\(directory)/\(path)") { seeds.append(Array(data)) }
        }
    }
    seeds.append(
        Array(
            """
            Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
            Parameters:
              Names: {Type: CommaDelimitedList, Default: "a,b"}
              Unset: {Type: String}
            Globals:
              Function: {Runtime: python3.12, Handler: a.b, Layers: [!Ref L]}
            Conditions:
              IsA: !Equals [!Ref Unset, a]
            Resources:
              L: {Type: AWS::Serverless::LayerVersion, Properties: {ContentUri: l/}}
              Fn::ForEach::Fns:
                - N
                - !Ref Names
                - ${N}Fn:
                    Type: AWS::Serverless::Function
                    Properties:
                      CodeUri: !Sub "src/${N}"
                      Runtime: !If [IsA, python3.13, !Sub "python3.1${AWS::Region}"]
                      Layers: [!GetAtt App.Outputs.Layer, !ImportValue x]
              Img: {Type: AWS::Lambda::Function, Properties: {PackageType: Image, ImageUri: !Ref Unset}}
              App: {Type: AWS::Serverless::Application, Properties: {Location: child.yaml, Parameters: {P: !Ref Unset}}}

            """.utf8))
    return seeds
}

/// Mutations, each chosen at random with a random size.
enum Mutator {
    static func mutate(_ seeds: [[UInt8]], using random: inout SeededGenerator) -> Mutant {
        let seed = seeds[Int.random(in: 0..<seeds.count, using: &random)]
        let kind = Int.random(in: 0..<15, using: &random)
        switch kind {
        case 0: return Mutant(kind: "byte flips", files: ["template.yaml": flipBytes(seed, using: &random)])
        case 1: return Mutant(kind: "truncation", files: ["template.yaml": truncate(seed, using: &random)])
        case 2: return Mutant(kind: "deep nesting", files: ["template.yaml": deepNesting(using: &random)])
        case 3: return Mutant(kind: "alias bomb", files: ["template.yaml": aliasBomb(using: &random)])
        case 4: return Mutant(kind: "long Sub", files: ["template.yaml": longSub(using: &random)])
        case 5: return Mutant(kind: "condition chain", files: ["template.yaml": conditionChain(using: &random)])
        case 6: return Mutant(kind: "nested-stack diamond", files: diamond(using: &random))
        case 7: return Mutant(kind: "line splice", files: ["template.yaml": splice(seed, seeds, using: &random)])
        case 8: return Mutant(kind: "tag insertion", files: ["template.yaml": insertTags(seed, using: &random)])
        case 9: return Mutant(kind: "many functions", files: ["template.yaml": manyFunctions(using: &random)])
        case 10: return Mutant(kind: "deep intrinsics", files: ["template.yaml": deepIntrinsics(using: &random)])
        case 12: return Mutant(kind: "string alias bomb", files: ["template.yaml": stringAliasBomb(using: &random)])
        case 13: return Mutant(kind: "long parameter in Sub", files: ["template.yaml": longParameter(using: &random)])
        case 14: return Mutant(kind: "large Fn::ForEach", files: ["template.yaml": largeLoop(using: &random)])
        default:
            var files = ["template.yaml": flipBytes(seed, using: &random)]
            files["child.yaml"] = truncate(seeds[Int.random(in: 0..<seeds.count, using: &random)], using: &random)
            return Mutant(kind: "byte flips with a child", files: files)
        }
    }

    static let interesting: [[UInt8]] = [
        "[", "]", "{", "}", ":", "- ", "!", "&a ", "*a", "\"", "'", "\n", "\t", "${", "}", "|", "#", "? ", ",",
        "\u{0}", "\u{FEFF}", "!Ref ", "!Sub ", "!If ", "!GetAtt ", "!Condition ", "Fn::ForEach::X",
    ].map { Array($0.utf8) }

    static func flipBytes(_ seed: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var bytes = seed
        guard !bytes.isEmpty else { return bytes }
        for _ in 0..<Int.random(in: 1...16, using: &random) {
            let position = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes[position] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            default:
                let insert = interesting[Int.random(in: 0..<interesting.count, using: &random)]
                bytes.insert(contentsOf: insert, at: position)
            }
        }
        return bytes
    }

    static func truncate(_ seed: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        Array(seed.prefix(Int.random(in: 0...max(0, seed.count), using: &random)))
    }

    static func splice(_ seed: [UInt8], _ seeds: [[UInt8]], using random: inout SeededGenerator) -> [UInt8] {
        var lines = seed.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        let other = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            .split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        for _ in 0..<Int.random(in: 1...8, using: &random) where !lines.isEmpty && !other.isEmpty {
            let line = other[Int.random(in: 0..<other.count, using: &random)]
            switch Int.random(in: 0..<3, using: &random) {
            case 0: lines.insert(line, at: Int.random(in: 0...lines.count, using: &random))
            case 1: lines.remove(at: Int.random(in: 0..<lines.count, using: &random))
            default:
                let index = Int.random(in: 0..<lines.count, using: &random)
                lines.insert(lines[index], at: index)
            }
        }
        return Array(lines.joined(separator: [UInt8(ascii: "\n")]))
    }

    static func insertTags(_ seed: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        var text = String(decoding: seed, as: UTF8.self)
        let tags = [
            "!Ref ", "!Sub ", "!GetAtt ", "!If ", "!Join ", "!Select ", "!Split ", "!FindInMap ", "!Condition ",
        ]
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            guard let range = text.range(of: ": ", options: [], range: nil) else { break }
            let skip = Int.random(in: 0..<max(1, text.count / 40), using: &random)
            var index = range.upperBound
            for _ in 0..<skip { if let next = text[index...].range(of: ": ") { index = next.upperBound } }
            text.insert(contentsOf: tags[Int.random(in: 0..<tags.count, using: &random)], at: index)
        }
        return Array(text.utf8)
    }

    static func function(_ name: String, _ extra: String = "") -> String {
        "  \(name):\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.12, Handler: a.b, "
            + "CodeUri: .\(extra)}\n"
    }

    static func deepNesting(using random: inout SeededGenerator) -> [UInt8] {
        let depth = Int.random(in: 1...200_000, using: &random)
        let body: String
        switch Int.random(in: 0..<4, using: &random) {
        case 0: body = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        case 1: body = String(repeating: "{a: ", count: depth) + "1" + String(repeating: "}", count: depth)
        case 2:
            body =
                "\n"
                + (0..<min(depth, 3_000)).map { String(repeating: " ", count: $0 + 6) + "k:" }.joined(separator: "\n")
                + " v"
        default: body = String(repeating: "- ", count: min(depth, 50_000)) + "x"
        }
        return Array(("Resources:\n" + function("Fn", ", Description: \(body)") + "  X: \(body)\n").utf8)
    }

    static func aliasBomb(using random: inout SeededGenerator) -> [UInt8] {
        let levels = Int.random(in: 3...30, using: &random)
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1..<levels {
            let previous = "*a\(level - 1)"
            text += "a\(level): &a\(level) [\(Array(repeating: previous, count: 9).joined(separator: ", "))]\n"
        }
        text += "Resources:\n" + function("Fn", ", Environment: {Variables: {X: *a\(levels - 1)}}")
        text += "  Fn2:\n    Type: AWS::Serverless::Function\n    Properties: *a\(levels - 1)\n"
        return Array(text.utf8)
    }

    static func stringAliasBomb(using random: inout SeededGenerator) -> [UInt8] {
        let length = Int.random(in: 1...500_000, using: &random)
        let copies = Int.random(in: 1...5_000, using: &random)
        let items = Array(repeating: "*s", count: copies).joined(separator: ", ")
        return Array(
            ("s: &s \(String(repeating: "x", count: length))\nResources:\n"
                + function("Fn").replacingOccurrences(
                    of: "Runtime: python3.12", with: "Runtime: !Join ['', [\(items)]]"))
                .utf8)
    }

    static func longParameter(using random: inout SeededGenerator) -> [UInt8] {
        let length = Int.random(in: 1...1_000_000, using: &random)
        let uses = Int.random(in: 1...2_000, using: &random)
        return Array(
            ("Parameters:\n  Big: {Type: String, Default: \(String(repeating: "y", count: length))}\nResources:\n"
                + function("Fn").replacingOccurrences(
                    of: "CodeUri: .", with: "CodeUri: !Sub '\(String(repeating: "${Big}", count: uses))'")).utf8)
    }

    static func largeLoop(using random: inout SeededGenerator) -> [UInt8] {
        let count = Int.random(in: 1...300_000, using: &random)
        let inner = Int.random(in: 1...50, using: &random)
        return Array(
            """
            Transform: AWS::LanguageExtensions
            Parameters:
              Items: {Type: CommaDelimitedList, Default: "\((0..<count).map { "i\($0)" }.joined(separator: ","))"}
            Resources:
              Fn::ForEach::Outer:
                - I
                - !Ref Items
                - Fn::ForEach::Inner:
                    - J
                    - [\((0..<inner).map { "j\($0)" }.joined(separator: ", "))]
                    - F${I}${J}:
                        Type: AWS::Serverless::Function
                        Properties: {Runtime: python3.12, Handler: a.b, CodeUri: !Sub "src/${I}/${J}"}

            """.utf8)
    }

    static func longSub(using random: inout SeededGenerator) -> [UInt8] {
        let count = Int.random(in: 1...200_000, using: &random)
        let pieces = ["${AWS::Region}", "${!Literal}", "x", "${Stage}", "$", "{", "}"]
        var body = ""
        for _ in 0..<count { body += pieces[Int.random(in: 0..<pieces.count, using: &random)] }
        return Array(
            ("Parameters:\n  Stage: {Type: String, Default: dev}\nResources:\n"
                + function("Fn", ", Description: !Sub '\(body)'")
                + function("Fn2").replacingOccurrences(
                    of: "CodeUri: .", with: "CodeUri: !Sub '\(body)'")).utf8)
    }

    static func conditionChain(using random: inout SeededGenerator) -> [UInt8] {
        let count = Int.random(in: 1...30_000, using: &random)
        var text = "Conditions:\n"
        let cycle = Bool.random(using: &random)
        for index in 0..<count { text += "  C\(index): !Condition C\(index + 1)\n" }
        text += cycle ? "  C\(count): !Condition C0\n" : "  C\(count): !Equals [a, a]\n"
        text +=
            "Resources:\n"
            + function("Fn", ", Description: x").replacingOccurrences(
                of: "Runtime: python3.12", with: "Runtime: !If [C0, python3.12, python3.13]")
        return Array(text.utf8)
    }

    static func diamond(using random: inout SeededGenerator) -> [String: [UInt8]] {
        let levels = Int.random(in: 1...24, using: &random)
        let width = Int.random(in: 2...3, using: &random)
        var files: [String: [UInt8]] = [:]
        for level in 0..<levels {
            var text = "Resources:\n" + function("Fn\(level)")
            if level + 1 < levels {
                for copy in 0..<width {
                    text +=
                        "  S\(copy):\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: d\(level + 1).yaml}\n"
                }
            }
            files[level == 0 ? "template.yaml" : "d\(level).yaml"] = Array(text.utf8)
        }
        return files
    }

    static func manyFunctions(using random: inout SeededGenerator) -> [UInt8] {
        let count = Int.random(in: 1...3_000, using: &random)
        var text = "Globals:\n  Function:\n    Environment: {Variables: {A: b}}\nResources:\n"
        for index in 0..<count {
            text += function("F\(index)", ", Layers: [arn:aws:lambda:us-east-1:1:layer:l:\(index % 7)]")
        }
        return Array(text.utf8)
    }

    static func deepIntrinsics(using random: inout SeededGenerator) -> [UInt8] {
        let depth = Int.random(in: 1...400, using: &random)
        var value = "python3.12"
        for _ in 0..<depth {
            switch Int.random(in: 0..<3, using: &random) {
            case 0: value = "!Join ['', [\(value)]]"
            case 1: value = "!Select [0, [\(value)]]"
            default: value = "{'Fn::If': [C, \(value), x]}"
            }
        }
        return Array(
            ("Conditions:\n  C: !Equals [a, a]\nResources:\n"
                + function("Fn").replacingOccurrences(
                    of: "Runtime: python3.12", with: "Runtime: \(value)")).utf8)
    }
}

/// Watches the run in progress from another thread and ends the process when it is too slow.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var current: (run: Int, kind: String, started: Date)?
    let limit: TimeInterval

    init(limit: TimeInterval) {
        self.limit = limit
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                let running = self.lock.withLock { self.current }
                if let running, Date().timeIntervalSince(running.started) > self.limit {
                    print("FAIL run \(running.run) (\(running.kind)): still running after \(self.limit) s")
                    print("template-fuzz: 0 passed, 1 failed")
                    exit(1)
                }
            }
        }
        thread.start()
    }

    func begin(_ run: Int, _ kind: String) { lock.withLock { current = (run, kind, Date()) } }
    func end() { lock.withLock { current = nil } }
}

func peakResidentMB() -> Double {
    var usage = rusage()
    #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // kilobytes
    #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1024 / 1024  // bytes
    #endif
}

@main
struct TemplateFuzz {
    static func main() async throws {
        let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
        let seeds = seedTemplates(options.seedDirectories)
        var random = SeededGenerator(state: options.seed)
        let watchdog = Watchdog(limit: options.timeLimit)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("template-fuzz-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        var passed = 0
        var failed = 0
        var slowest = (seconds: 0.0, kind: "")
        var outcomes: [String: Int] = [:]
        var peakBefore = peakResidentMB()
        var largestRise = (megabytes: 0.0, run: 0, kind: "")
        let started = Date()
        for run in 1...options.runs {
            let mutant = Mutator.mutate(seeds, using: &random)
            let directory = "\(scratch)/\(run % 4)"
            try? FileManager.default.removeItem(atPath: directory)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (name, bytes) in mutant.files {
                FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: Data(bytes))
            }
            let languageExtensions = Bool.random(using: &random)
            watchdog.begin(run, mutant.kind)
            let clock = Date()
            let outcome: String
            do {
                let template = try await TemplateLoader(languageExtensions: languageExtensions)
                    .load("\(directory)/template.yaml")
                let plan = try Planner().plan(template)
                outcome = plan.errors.isEmpty ? "planned" : "planned with errors"
            } catch is TemplateError {
                outcome = "template error"
            } catch is PlanError {
                outcome = "plan error"
            } catch {
                outcome = "other error"
            }
            let seconds = Date().timeIntervalSince(clock)
            watchdog.end()
            outcomes[outcome, default: 0] += 1
            let peakNow = peakResidentMB()
            if peakNow - peakBefore > largestRise.megabytes {
                largestRise = (peakNow - peakBefore, run, mutant.kind)
            }
            peakBefore = peakNow
            if seconds > slowest.seconds { slowest = (seconds, mutant.kind) }
            if seconds > options.timeLimit || outcome == "other error" {
                failed += 1
                print("FAIL run \(run) (\(mutant.kind)): \(outcome) in \(String(format: "%.2f", seconds)) s")
            } else {
                passed += 1
            }
        }
        let peak = peakResidentMB()
        if peak > options.memoryLimitMB {
            print("FAIL peak RSS \(String(format: "%.1f", peak)) MB is over \(options.memoryLimitMB) MB")
            failed += 1
        }
        let summary = outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print(
            "template-fuzz: \(options.runs) runs (seed \(options.seed), \(seeds.count) seed templates) in "
                + "\(String(format: "%.1f", Date().timeIntervalSince(started))) s: \(summary); slowest "
                + "\(String(format: "%.2f", slowest.seconds)) s (\(slowest.kind)), peak RSS "
                + "\(String(format: "%.1f", peak)) MB (largest rise: +\(String(format: "%.1f", largestRise.megabytes)) MB, "
                + "run \(largestRise.run), \(largestRise.kind))")
        print("template-fuzz: \(passed) passed, \(failed) failed")
        if failed > 0 { exit(1) }
    }
}
