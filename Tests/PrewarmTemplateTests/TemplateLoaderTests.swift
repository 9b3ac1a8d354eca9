import PrewarmTemplate
import PrewarmTestKit
import Testing

@Suite struct TemplateLoaderTests {
    func load(_ files: [String: String], root: String = "template.yaml", overrides: [String] = []) async throws
        -> Template
    {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, text) in files { try directory.write(name, text) }
        return try await TemplateLoader(overrides: try ParameterOverrides(parsing: overrides))
            .load("\(directory.path)/\(root)")
    }

    @Test func nestedStacksNameFunctionsByPathAndPassParameters() async throws {
        let template = try await load(
            [
                "template.yaml": """
                Parameters:
                  Stage: {Type: String, Default: dev}
                Resources:
                  Root:
                    Type: AWS::Serverless::Function
                    Properties: {Runtime: python3.12, Handler: a.b}
                  Child:
                    Type: AWS::Serverless::Application
                    Properties:
                      Location: stacks/child.yaml
                      Parameters: {Runtime: !Sub "python3.${Minor}", Stage: !Ref Stage}
                  Later:
                    Type: AWS::Serverless::Function
                    Properties: {Runtime: python3.12, Handler: a.b}
                """.replacingOccurrences(of: "${Minor}", with: "13"),
                "stacks/child.yaml": """
                Parameters:
                  Runtime: {Type: String}
                  Stage: {Type: String}
                Resources:
                  Fn:
                    Type: AWS::Serverless::Function
                    Properties: {Runtime: !Ref Runtime, Handler: a.b, CodeUri: !Sub "src/${Stage}"}
                  Grand:
                    Type: AWS::CloudFormation::Stack
                    Properties: {TemplateURL: ../deeper/grand.yaml}
                """,
                "deeper/grand.yaml": """
                Resources:
                  Deep:
                    Type: AWS::Serverless::Function
                    Properties: {Runtime: nodejs20.x, Handler: a.b}
                """,
            ], overrides: ["Stage=prod"])
        // As SAM CLI orders them: the stack's own functions, then each nested stack's.
        #expect(template.functions.map(\.name) == ["Root", "Later", "Child/Fn", "Child/Grand/Deep"])
        let child = template.functions[2]
        #expect(child.runtime == "python3.13")
        #expect(child.stackPath == ["Child"])
        #expect(child.codePath?.hasSuffix("/stacks/src/prod") == true)
        #expect(template.errors.isEmpty)
    }

    @Test func nestedCycleIsAnErrorForTheStackNotACrash() async throws {
        let template = try await load(
            [
                "a.yaml":
                    "Resources:\n  B:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: b.yaml}\n"
                    + "  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {Runtime: python3.12}\n",
                "b.yaml":
                    "Resources:\n  A:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: a.yaml}\n",
            ], root: "a.yaml")
        #expect(template.functions.map(\.name) == ["Fn"])
        let error = try #require(template.errors.first)
        #expect(error.name == "B/A")
        #expect(error.error.message.contains("cycle"))
        #expect(error.error.location?.file.hasSuffix("b.yaml") == true)
        #expect(error.error.location?.line == 2)
    }

    @Test func missingOrMalformedNestedTemplateIsAnErrorForThatStack() async throws {
        let template = try await load([
            "template.yaml": """
            Resources:
              Missing:
                Type: AWS::Serverless::Application
                Properties: {Location: nowhere.yaml}
              Broken:
                Type: AWS::Serverless::Application
                Properties: {Location: broken.yaml}
              Fine:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12}
            """,
            "broken.yaml": "Resources: [\n",
        ])
        #expect(template.functions.map(\.name) == ["Fine"])
        let errors = Dictionary(uniqueKeysWithValues: template.errors.map { ($0.name, $0.error) })
        #expect(errors["Missing"]?.code == .fileNotFound)
        #expect(errors["Missing"]?.location?.file.hasSuffix("nowhere.yaml") == true)
        #expect(errors["Broken"]?.code == .syntax)
        #expect(errors["Broken"]?.location?.file.hasSuffix("broken.yaml") == true)
    }

    @Test(arguments: [
        ("[1, 2]", "must be a mapping"), ("Description: no resources", "no Resources"),
        ("Resources: [a]", "Resources must be a mapping"),
        ("Globals: {Function: {PackageType: Image}}\nResources: {}", "PackageType is not supported in Globals"),
    ])
    func unusableRootTemplateThrows(_ text: String, _ expected: String) async throws {
        let error = await #expect(throws: TemplateError.self) { _ = try await load(["template.yaml": text]) }
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
        #expect(error?.location?.file.hasSuffix("template.yaml") == true)
    }

    @Test func globalsMergeAsTheSAMTranslatorDoes() async throws {
        let template = try await load([
            "template.yaml": """
            Globals:
              Function:
                Runtime: python3.12
                Architectures: [arm64]
                Layers: ["arn:aws:lambda:us-east-1:123456789012:layer:global:1"]
            Resources:
              Inherits:
                Type: AWS::Serverless::Function
              Appends:
                Type: AWS::Serverless::Function
                Properties: {Layers: ["arn:aws:lambda:us-east-1:123456789012:layer:own:1"], Architectures: [x86_64]}
              IntrinsicWins:
                Type: AWS::Serverless::Function
                Properties: {Layers: !Split [",", "arn:aws:lambda:us-east-1:123456789012:layer:own:2"]}
              IgnoresAll:
                Type: AWS::Serverless::Function
                IgnoreGlobals: "*"
                Properties: {Runtime: nodejs20.x}
              Plain:
                Type: AWS::Lambda::Function
                Properties: {Runtime: java21, Code: src}
            """
        ])
        let byName = Dictionary(uniqueKeysWithValues: template.functions.map { ($0.name, $0) })
        func arns(_ name: String) -> [String] {
            byName[name]?.layers.compactMap { if case .arn(let arn, _) = $0 { arn } else { nil } } ?? []
        }
        #expect(byName["Inherits"]?.runtime == "python3.12")
        #expect(byName["Inherits"]?.architectures == ["arm64"])
        #expect(arns("Appends").map { $0.split(separator: ":")[6] } == ["global", "own"])
        #expect(byName["Appends"]?.architectures == ["x86_64"])
        #expect(arns("IntrinsicWins").count == 1)
        #expect(byName["IgnoresAll"]?.layers.isEmpty == true)
        #expect(byName["IgnoresAll"]?.architectures == [])
        #expect(byName["Plain"]?.layers.isEmpty == true)
    }

    @Test func skipsFollowSAMCLI() async throws {
        let template = try await load([
            "template.yaml": """
            Resources:
              S3Code:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, CodeUri: s3://bucket/key.zip}
              Inline:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, InlineCode: "x"}
              Ecr:
                Type: AWS::Serverless::Function
                Properties: {PackageType: Image, ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1}
              LocalRegistry:
                Type: AWS::Serverless::Function
                Properties: {PackageType: Image, ImageUri: "localhost:5000/app:1"}
              S3Layer:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: {Bucket: b, Key: k}}
              UsesS3Layer:
                Type: AWS::Serverless::Function
                Properties:
                  Runtime: python3.12
                  Layers: [!Ref S3Layer, "arn:aws:lambda:::awslayer:AmazonLinux1803"]
            """
        ])
        #expect(Set(template.skipped.map(\.name)) == ["S3Code", "Inline", "Ecr", "LocalRegistry", "S3Layer"])
        #expect(template.functions.map(\.name) == ["UsesS3Layer"])
        #expect(template.functions.first?.layers.isEmpty == true)
    }

    @Test func cdkConstructIDsNameFunctions() async throws {
        let template = try await load([
            "template.yaml": """
            Resources:
              HelloFunctionD909AE8C:
                Type: AWS::Lambda::Function
                Properties: {Runtime: python3.12, Code: {S3Bucket: b, S3Key: k}}
                Metadata: {aws:cdk:path: App/HelloFunction/Resource, aws:asset:path: asset.1, aws:asset:property: Code}
              Deep1234:
                Type: AWS::Lambda::Function
                Properties: {Runtime: python3.12, Code: {S3Bucket: b, S3Key: k}}
                Metadata: {aws:cdk:path: App/Api/Deep/Resource, aws:asset:path: asset.2, aws:asset:property: Code}
              Explicit:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12}
                Metadata: {SamResourceId: Chosen}
            """
        ])
        #expect(template.functions.map(\.name) == ["HelloFunction", "Deep1234", "Chosen"])
        #expect(template.functions[0].codePath?.hasSuffix("/asset.1") == true)
    }

    @Test func fnIfWithNoValueLosesTheLayerListAsInSAMCLI() async throws {
        let template = try await load([
            "template.yaml": """
            Conditions:
              IsProd: !Equals [a, b]
            Resources:
              Debug:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: layers/debug}
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  Runtime: python3.12
                  Layers:
                    - "arn:aws:lambda:us-east-1:123456789012:layer:kept:1"
                    - !Sub "arn:aws:lambda:${AWS::Region}:123456789012:layer:dropped:1"
                    - !If [IsProd, !Ref AWS::NoValue, !Ref Debug]
                    - !Ref Debug
            """
        ])
        let layers = try #require(template.functions.first?.layers)
        #expect(layers.count == 2)
        if case .arn(let arn, _) = layers[0] { #expect(arn.hasSuffix(":kept:1")) } else { Issue.record("\(layers)") }
        if case .template(let layer) = layers[1] {
            #expect(layer.logicalID == "Debug")
        } else {
            Issue.record("\(layers)")
        }
    }

    @Test func unusedOverrideAndIgnoredPairsAreWarnings() async throws {
        let template = try await load(
            ["template.yaml": "Parameters:\n  A: {Type: String, Default: x}\nResources: {}\n"],
            overrides: ["Nope=1", "ParameterKey=A,ParameterValue=y B=2"])
        #expect(template.warnings.count == 2)
        #expect(template.warnings.contains { $0.message.contains("B=2 ignored") })
        #expect(template.warnings.contains { $0.message.contains("Nope") })
    }
}
