import Foundation
import PrewarmTemplate
import PrewarmTestKit
import Testing

/// Templates that once crashed or stalled the reader: each must end quickly, with a plan or
/// with a located error.
@Suite struct TemplateRobustnessTests {
    func load(
        _ files: [String: String], limits: TemplateLimits = TemplateLimits(), languageExtensions: Bool = false
    ) async throws -> Template {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, text) in files { try directory.write(name, text) }
        return try await TemplateLoader(limits: limits, languageExtensions: languageExtensions)
            .load("\(directory.path)/template.yaml")
    }

    static func function(_ name: String, runtime: String = "python3.12") -> String {
        "  \(name):\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: \(runtime), Handler: a.b}\n"
    }

    @Test func aChainOfFiftyThousandConditionsIsEvaluatedWithoutRecursion() async throws {
        let count = 50_000
        var text = "Conditions:\n"
        for index in 0..<count { text += "  C\(index): !Condition C\(index + 1)\n" }
        text += "  C\(count): !Equals [a, b]\nResources:\n"
        text += Self.function("Fn", runtime: "!If [C0, nodejs20.x, python3.13]")
        let template = try await load(["template.yaml": text])
        #expect(template.functions.first?.runtime == "python3.13")
    }

    @Test func aLongConditionCycleIsAnErrorForTheFunction() async throws {
        var text = "Conditions:\n"
        for index in 0..<20_000 { text += "  C\(index): !Condition C\((index + 1) % 20_000)\n" }
        text += "Resources:\n" + Self.function("Fn", runtime: "!If [C7, nodejs20.x, python3.13]")
        let template = try await load(["template.yaml": text])
        #expect(template.functions.isEmpty)
        #expect(template.errors.first?.error.message.contains("depends on itself") == true)
    }

    @Test func subTakesLinearTime() throws {
        let resolver = IntrinsicResolver(parameters: [:], resourceTypes: [:], mappings: nil, conditions: nil)
        func seconds(references: Int) throws -> Double {
            let text = String(repeating: "${AWS::Region}-", count: references)
            let node = try #require(try TemplateDocument.parse("v: !Sub '\(text)'", file: "t.yaml")["v"])
            let clock = ContinuousClock()
            var output = ""
            let elapsed = try clock.measure { output = try resolver.resolveString(node, what: "v") }
            #expect(output.utf8.count == references * "us-east-1-".utf8.count)
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        let small = try seconds(references: 20_000)
        let large = try seconds(references: 320_000)
        // 16 times the references: 16 times the time when linear, 256 times when quadratic.
        #expect(large < max(small, 0.001) * 64, "20,000 references: \(small) s; 320,000: \(large) s")
    }

    @Test(arguments: ["flow lists", "flow mappings", "block lists"])
    func nestingDeeperThanTheLimitIsALocatedError(_ shape: String) async throws {
        let value =
            switch shape {
            case "flow lists": String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
            case "flow mappings": String(repeating: "{a: ", count: 5_000) + "1" + String(repeating: "}", count: 5_000)
            default: "\n    " + String(repeating: "- ", count: 5_000) + "x"
            }
        let error = await #expect(throws: TemplateError.self) {
            _ = try await load(["template.yaml": "Resources:\n" + Self.function("Fn") + "  Deep: \(value)\n"])
        }
        #expect(error?.code == .syntax)
        #expect(error?.message.contains("nest more than 1000 levels") == true, "\(String(describing: error))")
        #expect(error?.location?.line == (shape == "block lists" ? 6 : 5))
    }

    @Test func nestingJustUnderTheLimitIsRead() async throws {
        // 990 levels of YAML, 330 Fn::Join calls inside one another, in a property that is evaluated.
        var value = "python3.12"
        for _ in 0..<330 { value = "{'Fn::Join': ['', [\(value)]]}" }
        let template = try await load(["template.yaml": "Resources:\n" + Self.function("Fn", runtime: value)])
        #expect(template.functions.first?.runtime == "python3.12")
    }

    @Test func anAliasBombIsAnErrorNotAStall() async throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1..<12 {
            text += "a\(level): &a\(level) [\(Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", "))]\n"
        }
        text += "Resources:\n" + Self.function("Fn")
        let error = await #expect(throws: TemplateError.self) { _ = try await load(["template.yaml": text]) }
        #expect(error?.message.contains("aliases") == true)
    }

    /// Each template includes the next one twice: 2^levels stacks.
    static func diamond(levels: Int) -> [String: String] {
        var files: [String: String] = [:]
        for level in 0..<levels {
            var text = "Resources:\n" + function("Fn")
            if level + 1 < levels {
                for copy in 0..<2 {
                    text +=
                        "  S\(copy):\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: d\(level + 1).yaml}\n"
                }
            }
            files[level == 0 ? "template.yaml" : "d\(level).yaml"] = text
        }
        return files
    }

    @Test func anExponentialDiamondStopsAtTheStackLimit() async throws {
        let clock = ContinuousClock()
        var error: TemplateError?
        let elapsed = await clock.measure {
            error = await #expect(throws: TemplateError.self) { _ = try await load(Self.diamond(levels: 24)) }
        }
        #expect(error?.code == .limit)
        #expect(error?.exceededLimit == .stacks)
        #expect(error?.message.contains("more than \(TemplateLimits().stacks) nested stacks") == true)
        #expect(error?.location != nil)
        // 2^24 stacks without the limit; with it, seconds (a minute on a machine shared with builds).
        #expect(elapsed < .seconds(60))
    }

    @Test func aDiamondWithinTheLimitsIsRead() async throws {
        let template = try await load(Self.diamond(levels: 6))
        #expect(template.functions.count == 63)
        #expect(template.functions.last?.name == "S1/S1/S1/S1/S1/Fn")
    }

    @Test func stackDepthAndFunctionLimitsAreTheirOwn() async throws {
        var chain: [String: String] = [:]
        for level in 0..<8 {
            chain[level == 0 ? "template.yaml" : "c\(level).yaml"] =
                "Resources:\n" + Self.function("Fn")
                + "  Next:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: c\(level + 1).yaml}\n"
        }
        chain["c8.yaml"] = "Resources:\n" + Self.function("Fn")
        let deep = await #expect(throws: TemplateError.self) {
            _ = try await load(chain, limits: TemplateLimits(stackDepth: 5))
        }
        #expect(deep?.exceededLimit == .stackDepth)
        let many = await #expect(throws: TemplateError.self) {
            _ = try await load(chain, limits: TemplateLimits(functions: 4))
        }
        #expect(many?.exceededLimit == .functions)
        #expect(try await load(chain).functions.count == 9)
    }

    @Test func aLongStringRepeatedByAliasesIsAnError() async throws {
        let long = String(repeating: "x", count: 100_000)
        let items = Array(repeating: "*s", count: 1_000).joined(separator: ", ")
        let text = "s: &s \(long)\nResources:\n" + Self.function("Fn", runtime: "!Join ['', [\(items)]]")
        let error = await #expect(throws: TemplateError.self) { _ = try await load(["template.yaml": text]) }
        #expect(error?.message.contains("aliases") == true)
    }

    @Test func subAndJoinStopAtTheStringLimit() async throws {
        // A 1 MB default used 20 times: 20 MB, past the 4 MB limit.
        let references = String(repeating: "${Big}", count: 20)
        let text =
            "Parameters:\n  Big: {Type: String, Default: \(String(repeating: "y", count: 1 << 20))}\nResources:\n"
            + Self.function("Fn", runtime: "!Sub '\(references)'")
            + Self.function(
                "Joined", runtime: "!Join ['', [\(Array(repeating: "!Ref Big", count: 20).joined(separator: ", "))]]")
        let template = try await load(["template.yaml": text])
        #expect(template.functions.isEmpty)
        let messages = template.errors.map(\.error.message)
        #expect(messages.count == 2)
        #expect(messages.allSatisfy { $0.contains("longer than 4 MB") }, "\(messages)")
    }

    @Test func loopsOverAHugeCollectionStopWithAnError() async throws {
        let items = (0..<200_000).map { "i\($0)" }.joined(separator: ",")
        let text = """
            Transform: AWS::LanguageExtensions
            Parameters:
              Items: {Type: CommaDelimitedList, Default: "\(items)"}
            Resources:
              Fn::ForEach::Many:
                - I
                - !Ref Items
                - F${I}:
                    Type: AWS::Serverless::Function
                    Properties: {Runtime: python3.12, Handler: a.b, Environment: {Variables: {A: a, B: b, C: c}}}
            """
        let error = await #expect(throws: TemplateError.self) {
            _ = try await load(["template.yaml": text], languageExtensions: true)
        }
        #expect(error?.message.contains("loops write more than") == true, "\(String(describing: error))")
    }

    @Test func globalsMergeManyKeysInLinearTime() async throws {
        let keys = (0..<40_000).map { "K\($0): v" }.joined(separator: ", ")
        let text = """
            Globals:
              Function: {Runtime: python3.12, Environment: {Variables: {\(keys)}}}
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties: {Handler: a.b, Environment: {Variables: {\(keys)}}}
            """
        let clock = ContinuousClock()
        var template: Template?
        let elapsed = try await clock.measure { template = try await load(["template.yaml": text]) }
        #expect(template?.functions.first?.runtime == "python3.12")
        #expect(elapsed < .seconds(10), "merging 40,000 keys took \(elapsed)")
    }
}
