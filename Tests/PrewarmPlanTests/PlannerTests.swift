import PrewarmPlan
import PrewarmSupport
import PrewarmTemplate
import PrewarmTestKit
import Testing

@Suite struct PlannerTests {
    func plan(_ yaml: String, options: PlanOptions = PlanOptions(), files: [String: String] = [:]) async throws -> Plan
    {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, text) in files { try directory.write(name, text) }
        let path = try directory.write("template.yaml", yaml)
        let template = try await TemplateLoader().load(path)
        return try Planner(options: options).plan(template)
    }

    static let shared = """
        Globals:
          Function:
            Handler: app.handler
            CodeUri: src/
        Resources:
          Shared:
            Type: AWS::Serverless::LayerVersion
            Properties: {ContentUri: layers/shared}
          A:
            Type: AWS::Serverless::Function
            Properties: {Runtime: python3.12, Layers: [!Ref Shared, "arn:aws:lambda:us-east-1:123456789012:layer:x:1"]}
          B:
            Type: AWS::Serverless::Function
            Properties: {Runtime: python3.12, Layers: [!Ref Shared, "arn:aws:lambda:us-east-1:123456789012:layer:x:1"]}
          C:
            Type: AWS::Serverless::Function
            Properties: {Runtime: nodejs20.x, Layers: [!Ref Shared]}
          D:
            Type: AWS::Serverless::Function
            Properties: {Runtime: python3.12}
          E:
            Type: AWS::Serverless::Function
            Properties: {Runtime: python3.12, Architectures: [arm64]}
        """

    @Test func sharedWorkIsOneNode() async throws {
        let plan = try await plan(Self.shared)
        #expect(plan.errors.isEmpty)
        #expect(plan.functions.map(\.name) == ["A", "B", "C", "D", "E"])
        // A and B are one image; C, D, E one each.
        #expect(plan.graph.count(of: .image) == 4)
        #expect(plan.functions[0].image == plan.functions[1].image)
        // The template layer and the ARN: one node each, however many images use them.
        #expect(plan.graph.count(of: .layer) == 2)
        // python x86_64, nodejs x86_64, python arm64.
        #expect(plan.graph.count(of: .base) == 3)
        #expect(plan.functions[4].image == "public.ecr.aws/lambda/python:3.12-rapid-arm64")
        #expect(plan.functions[3].image == "public.ecr.aws/lambda/python:3.12-rapid-x86_64")
    }

    @Test func graphIsTopologicalAndImagesNeedTheirBaseAndLayers() async throws {
        let plan = try await plan(Self.shared)
        var seen: Set<NodeID> = []
        for node in plan.graph.nodes {
            #expect(node.needs.allSatisfy(seen.contains), "\(node.id) comes before what it needs")
            seen.insert(node.id)
        }
        let a = try #require(plan.graph.node(plan.functions[0].nodeID))
        #expect(a.needs.count == 3)
        #expect(a.needs.first?.rawValue.hasPrefix("base:public.ecr.aws/lambda/python:3.12-x86_64@linux/amd64") == true)
    }

    @Test func archOverrideBuildsEveryFunctionForEachArchitecture() async throws {
        let plan = try await plan(Self.shared, options: PlanOptions(architectures: [.x86_64, .arm64]))
        #expect(plan.functions.count == 10)
        #expect(Set(plan.functions.filter { $0.name == "E" }.map(\.architecture)) == [.x86_64, .arm64])
        // Layers are downloaded once for both architectures.
        #expect(plan.graph.count(of: .layer) == 2)
        #expect(plan.graph.count(of: .image) == 6)
    }

    @Test func unpublishedArchitectureIsAnErrorForThatFunctionAndArchitectureOnly() async throws {
        let plan = try await plan(
            """
            Resources:
              Go:
                Type: AWS::Serverless::Function
                Properties: {Runtime: go1.x, Handler: main, CodeUri: src}
              Py:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src}
            """, options: PlanOptions(architectures: [.x86_64, .arm64]))
        #expect(plan.functions.count == 3)
        #expect(plan.errors.count == 1)
        #expect(plan.errors.first?.name == "Go")
        #expect(plan.errors.first?.architecture == .arm64)
        #expect(plan.errors.first?.message.contains("no arm64 image for runtime go1.x") == true)
        #expect(plan.errors.first?.location?.line == 4)  // the Runtime it is about
    }

    @Test func templateErrorsNameTheFunctionAndLine() async throws {
        let plan = try await plan(
            """
            Resources:
              Unknown:
                Type: AWS::Serverless::Function
                Properties:
                  Runtime: python2.9
              BadArn:
                Type: AWS::Serverless::Function
                Properties:
                  Runtime: python3.12
                  Layers: ["arn:aws:lambda:us-east-1:123456789012:layer:x"]
              TwoArch:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, Architectures: [x86_64, arm64]}
              Sparc:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, Architectures: [sparc]}
              MissingParam:
                Type: AWS::Serverless::Function
                Properties: {Runtime: !Ref Nope}
              Good:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12}
            """)
        #expect(plan.functions.map(\.name) == ["Good"])
        let errors = Dictionary(uniqueKeysWithValues: plan.errors.map { ($0.name, $0) })
        #expect(errors["Unknown"]?.message.contains("unknown runtime 'python2.9'") == true)
        #expect(errors["Unknown"]?.location?.line == 5)
        #expect(errors["BadArn"]?.message.contains("arn:aws:lambda:us-east-1:123456789012:layer:x") == true)
        #expect(errors["TwoArch"]?.message.contains("exactly one") == true)
        #expect(errors["Sparc"]?.message.contains("'sparc'") == true)
        #expect(errors["MissingParam"]?.message.contains("'Nope'") == true)
        #expect(errors["MissingParam"]?.location?.line == 19)
        for error in plan.errors { #expect(!error.description.contains("\n")) }
    }

    @Test func invokeImageReplacesTheBase() async throws {
        let plan = try await plan(
            Self.shared,
            options: PlanOptions(invokeImages: [
                InvokeImage(function: nil, image: "mirror/python:3.12"),
                InvokeImage(function: "D", image: "custom/d:1"),
            ]))
        let byName = Dictionary(uniqueKeysWithValues: plan.functions.map { ($0.name, $0) })
        #expect(byName["D"]?.baseImage == "custom/d:1")
        #expect(byName["D"]?.image == "custom/d:rapid-x86_64")
        #expect(byName["E"]?.image == "mirror/python:rapid-arm64")
        // With layers the name stays the runtime's; the base changes.
        #expect(byName["A"]?.image.hasPrefix("samcli/lambda-python:3.12-x86_64-") == true)
        #expect(byName["A"]?.baseImage == "mirror/python:3.12")
    }

    @Test func functionFilter() async throws {
        let plan = try await plan(Self.shared, options: PlanOptions(functions: ["C", "A"]))
        #expect(plan.functions.map(\.name) == ["A", "C"])
        let error = await #expect(throws: PlanError.self) {
            _ = try await self.plan(Self.shared, options: PlanOptions(functions: ["Nope"]))
        }
        #expect(error?.description.contains("A, B, C, D, E") == true)
    }

    @Test func sameNameWithOtherContentIsAConflict() async throws {
        let plan = try await plan(
            """
            Resources:
              One:
                Type: AWS::Serverless::Function
                Properties: {PackageType: Image, ImageUri: "myimg:v1"}
              Two:
                Type: AWS::Serverless::Function
                Properties: {PackageType: Image, ImageUri: "myimg:v2"}
            """)
        #expect(plan.functions.map(\.name) == ["One"])
        #expect(plan.errors.first?.name == "Two")
        #expect(plan.errors.first?.message.contains("myimg:rapid-x86_64") == true)
    }

    @Test func contentKeyFollowsContentNotName() async throws {
        let first = try await plan(Self.shared)
        let second = try await plan(Self.shared.replacingOccurrences(of: "layers/shared", with: "layers/other"))
        #expect(first.functions[0].image == second.functions[0].image)
        #expect(first.functions[0].contentKey != second.functions[0].contentKey)
        #expect(first.functions[3].contentKey == second.functions[3].contentKey)
    }
}
