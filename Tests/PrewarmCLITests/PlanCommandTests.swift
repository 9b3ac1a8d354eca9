import Foundation
import PrewarmTestKit
import Testing

/// `prewarm plan` as a user runs it: the real executable, its output and exit codes.
@Suite struct PlanCommandTests {
    func json(_ result: CommandResult) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Any])
    }

    /// Every error line is one line, says prewarm, and no crash report is printed.
    func expectCleanErrors(_ result: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!result.stderr.contains("Backtrace"), sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
        for line in result.stderr.split(separator: "\n") where !line.isEmpty {
            #expect(line.hasPrefix("prewarm: "), "unexpected stderr line: \(line)", sourceLocation: sourceLocation)
        }
    }

    @Test func jsonHasTheDocumentedShape() async throws {
        let result = try await PrewarmExecutable.run([
            "plan", Fixtures.path("sam/nested/root.yaml"), "--format", "json", "--arch", "x86_64,arm64",
        ])
        // The fixture has one deliberate conflict (two different layers named ChildLayer), so: exit 1.
        #expect(result.status == 1)
        let plan = try json(result)
        let functions = try #require(plan["functions"] as? [[String: Any]])
        #expect(functions.count >= 6)
        for function in functions {
            for key in ["name", "architecture", "packageType", "runtime", "baseImage", "image", "layers"] {
                #expect(function.keys.contains(key), "function lacks \(key)")
            }
        }
        #expect(functions.contains { $0["name"] as? String == "AppChild/HelloFunction" })
        let skipped = try #require(plan["skipped"] as? [[String: Any]])
        #expect(skipped.allSatisfy { $0["name"] != nil && $0["reason"] != nil })
        let errors = try #require(plan["errors"] as? [[String: Any]])
        #expect(errors.allSatisfy { $0["name"] != nil && $0["message"] != nil })
        let nodes = try #require((plan["graph"] as? [String: Any])?["nodes"] as? [[String: Any]])
        let kinds = Set(nodes.compactMap { $0["kind"] as? String })
        #expect(kinds == ["layer", "base", "image"])
        let ids = Set(nodes.compactMap { $0["id"] as? String })
        for node in nodes { #expect((node["needs"] as? [String])?.allSatisfy(ids.contains) == true) }
        expectCleanErrors(result)
    }

    @Test func exitsZeroWhenEverythingPlansWithNoCodeOnDisk() async throws {
        let result = try await PrewarmExecutable.run(["plan", Fixtures.path("sam/layers.yaml")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("public.ecr.aws/lambda/nodejs:20-rapid-x86_64"))
        #expect(result.stdout.contains("function builds"))
        #expect(result.stdout.contains("skipped  S3OnlyLayer: layer content is only in S3"))
    }

    @Test func exitsOneAndStillPlansTheOthersWhenSomeFunctionsFail() async throws {
        let result = try await PrewarmExecutable.run([
            "plan", Fixtures.path("sam/errors/runtime-arch.yaml"), "--format", "json",
        ])
        #expect(result.status == 1)
        let plan = try json(result)
        #expect((plan["functions"] as? [[String: Any]])?.contains { $0["name"] as? String == "Fine" } == true)
        #expect(result.stderr.contains("UnknownRuntime"))
        #expect(result.stderr.contains("runtime-arch.yaml:"))
        expectCleanErrors(result)
    }

    @Test(arguments: [
        (["plan", "/nonexistent/template.yaml"], "no template at this path"),
        (["plan", "MALFORMED"], "not valid YAML"),
        (["plan", "LIST"], "must be a mapping"),
        (["plan", "GOOD", "--arch", "sparc"], "unknown architecture"),
        (["plan", "GOOD", "--format", "xml"], "xml"),
        (["plan", "GOOD", "--function", "Nope"], "no such function"),
        (["plan", "GOOD", "--parameter-overrides", "=x"], "--parameter-overrides"),
        (["plan", "GOOD", "--invoke-image", "Fn="], "--invoke-image"),
        (["plan"], "no template given"),
    ])
    func unusableInputExitsTwoWithOneLine(_ arguments: [String], _ expected: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let files = [
            "MALFORMED": try directory.write("malformed.yaml", "Resources:\n  Fn: [unclosed\n"),
            "LIST": try directory.write("list.yaml", "- a\n- b\n"),
            "GOOD": Fixtures.path("sam/layers.yaml"),
        ]
        let result = try await PrewarmExecutable.run(arguments.map { files[$0] ?? $0 }, in: directory.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        expectCleanErrors(result)
        if arguments.contains("MALFORMED") {
            #expect(result.stderr.contains("malformed.yaml:"))
            #expect(result.stderr.contains("at line 2"))
        }
    }

    @Test func nestedCycleAndMissingChildAreErrorsWithLocations() async throws {
        let cycle = try await PrewarmExecutable.run(["plan", Fixtures.path("sam/errors/nested-cycle/a.yaml")])
        #expect(cycle.status == 1)
        #expect(cycle.stderr.contains("cycle"))
        expectCleanErrors(cycle)
        let missing = try await PrewarmExecutable.run(["plan", Fixtures.path("sam/errors/nested-missing.yaml")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no template at this path"))
        expectCleanErrors(missing)
    }

    @Test func dotRendersWithGraphviz() async throws {
        let result = try await PrewarmExecutable.run(["plan", Fixtures.path("sam/layers.yaml"), "--format", "dot"])
        #expect(result.status == 0)
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let dotFile = try directory.write("plan.dot", result.stdout)
        let dot = try #require(CommandRunner.which("dot"), "Graphviz's dot is needed (ci/test installs it)")
        let svg = try await CommandRunner.run(dot, ["-Tsvg", dotFile])
        #expect(svg.status == 0, "\(svg.stderr)")
        #expect(svg.stdout.contains("<svg"))
        #expect(svg.stdout.contains("layer utils:3"))
        #expect(svg.stdout.contains("linux/amd64"))
    }

    @Test func helpTeachesAndVersionPrints() async throws {
        let help = try await PrewarmExecutable.run(["plan", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--parameter-overrides"))
        #expect(help.stdout.contains("Examples"))
        let version = try await PrewarmExecutable.run(["--version"])
        #expect(version.status == 0)
        #expect(!version.stdout.isEmpty)
    }

    @Test func defaultTemplateIsFoundInTheCurrentDirectory() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write(
            "template.yml",
            "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: ruby3.3}\n")
        let result = try await PrewarmExecutable.run(["plan"], in: directory.path)
        #expect(result.status == 0)
        #expect(result.stdout.contains("public.ecr.aws/lambda/ruby:3.3-rapid-x86_64"))
    }
}
