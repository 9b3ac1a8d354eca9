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

    @Test func subTakesLinearTime() async throws {
        let references = String(repeating: "${AWS::Region}-", count: 200_000)
        let clock = ContinuousClock()
        var template: Template?
        let elapsed = try await clock.measure {
            template = try await load([
                "template.yaml": "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
                    + "    Properties: {Runtime: python3.12, Handler: a.b, CodeUri: !Sub '\(references)'}\n"
            ])
        }
        let path = try #require(template?.functions.first?.codePath)
        #expect(path.hasSuffix(String(repeating: "us-east-1-", count: 3)))
        #expect(elapsed < .seconds(5), "2.8 MB of Fn::Sub took \(elapsed)")
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
        #expect(elapsed < .seconds(10))
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
}
