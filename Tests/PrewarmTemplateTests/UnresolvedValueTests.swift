import PrewarmTemplate
import PrewarmTestKit
import Testing

/// Values with no text before deployment refuse only the function whose image they decide
/// (ci/compare-with-sam.py checks the same shapes against SAM CLI's own code).
@Suite struct UnresolvedValueTests {
    func load(_ files: [String: String], overrides: [String] = [], languageExtensions: Bool = false)
        async throws -> Template
    {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (name, text) in files { try directory.write(name, text) }
        return try await TemplateLoader(
            overrides: try ParameterOverrides(parsing: overrides), languageExtensions: languageExtensions
        ).load("\(directory.path)/template.yaml")
    }

    static let root = """
        Parameters:
          Unset: {Type: String}
          Image: {Type: String}
        Resources:
          L:
            Type: AWS::Serverless::LayerVersion
            Properties: {LayerName: !Ref Unset, ContentUri: layer/}
          Described:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: a.b
              CodeUri: !Sub "src/${Unset}"
              Description: !Sub "x ${Unset}"
              Layers: [!Ref L]
              Environment: {Variables: {A: !Ref Unset}}
          Img:
            Type: AWS::Serverless::Function
            Properties: {PackageType: Image, ImageUri: !Ref Image}
          Child:
            Type: AWS::Serverless::Application
            Properties:
              Location: child.yaml
              Parameters: {P: !Ref Unset, Q: !Sub "q-${Unset}"}
        """
    static let child = """
        Parameters:
          P: {Type: String, Default: python3.13}
          Q: {Type: String}
        Resources:
          Uses:
            Type: AWS::Serverless::Function
            Properties: {Runtime: python3.12, Handler: a.b, CodeUri: !Ref Q, Description: !Ref P}
          Decides:
            Type: AWS::Serverless::Function
            Properties: {Runtime: !Ref P, Handler: a.b}
        """

    @Test func anUnsetParameterIsAnErrorOnlyWhereItDecidesTheImage() async throws {
        let template = try await load(["template.yaml": Self.root, "child.yaml": Self.child])
        #expect(template.functions.map(\.name) == ["Described", "Child/Uses"])
        // As SAM CLI: the parameter's name stands for its value where it does not decide the image.
        #expect(template.functions[0].codePath?.hasSuffix("/src/Unset") == true)
        #expect(template.functions[1].codePath?.hasSuffix("/q-Unset") == true)
        let errors = Dictionary(uniqueKeysWithValues: template.errors.map { ($0.name, $0.error) })
        #expect(errors.keys.sorted() == ["Child/Decides", "Img"])
        #expect(errors["Img"]?.message.contains("parameter 'Image'") == true)
        #expect(errors["Img"]?.hint == "pass `parameterOverrides` Image=VALUE")
        #expect(errors["Img"]?.location?.line == 19)
        let derived = try #require(errors["Child/Decides"])
        #expect(derived.message.contains("parameter 'P'"))
        #expect(derived.message.contains("parameter 'Unset'"))
        #expect(derived.hint == "pass `parameterOverrides` Unset=VALUE")
        #expect(derived.location?.file.hasSuffix("child.yaml") == true)
    }

    @Test func givenValuesPlanEveryFunction() async throws {
        let template = try await load(
            ["template.yaml": Self.root, "child.yaml": Self.child], overrides: ["Unset=python3.11 Image=img:1"])
        #expect(template.errors.isEmpty)
        #expect(template.functions.map(\.name) == ["Described", "Img", "Child/Uses", "Child/Decides"])
        #expect(template.functions[3].runtime == "python3.11")
    }

    @Test func layersKnownOnlyAfterDeploymentAreDroppedWithAWarning() async throws {
        let template = try await load([
            "template.yaml": """
            Resources:
              App:
                Type: AWS::Serverless::Application
                Properties: {Location: child.yaml}
              L:
                Type: AWS::Serverless::LayerVersion
                Properties: {ContentUri: layer/}
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  Runtime: python3.12
                  Handler: a.b
                  Layers: [!GetAtt App.Outputs.Layer, !Ref L, !ImportValue shared]
              ByArn:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, Handler: a.b, Layers: [!GetAtt L.Arn]}
            """,
            "child.yaml": "Resources: {}\n",
        ])
        let function = try #require(template.functions.first)
        #expect(function.layers.count == 1)
        let warnings = template.warnings.map(\.message)
        #expect(warnings.count == 2)
        #expect(warnings.allSatisfy { $0.contains("Fn: layer") && $0.contains("only known after deployment") })
        // SAM CLI makes up a function ARN for an Arn attribute and fails on it: so does prewarm.
        #expect(template.errors.map(\.name) == ["ByArn"])
    }

    @Test func aLambdaImageFunctionFallsBackToPropertiesImageUri() async throws {
        let template = try await load([
            "template.yaml": """
            Resources:
              Props:
                Type: AWS::Lambda::Function
                Properties: {PackageType: Image, ImageUri: props:1}
              Both:
                Type: AWS::Lambda::Function
                Properties: {PackageType: Image, ImageUri: props:2, Code: {ImageUri: code:2}}
            """
        ])
        #expect(template.functions.map(\.imageURI) == ["props:1", "code:2"])
    }

    @Test func codeThatCannotBeEvaluatedDoesNotRefuseTheFunction() async throws {
        let template = try await load([
            "template.yaml": """
            Resources:
              Bucket: {Type: AWS::S3::Bucket}
              Sub:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, Handler: a.b, CodeUri: !Sub "src/${Nope}"}
              Imported:
                Type: AWS::Lambda::Function
                Properties: {Runtime: java21, Handler: a.b, Code: !ImportValue code}
              InS3:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, Handler: a.b, CodeUri: {Bucket: !GetAtt Bucket.Nope, Key: k}}
            """
        ])
        #expect(template.errors.isEmpty)
        #expect(template.functions.map(\.name) == ["Sub", "Imported"])
        #expect(template.functions.allSatisfy { $0.codePath == nil })
        #expect(template.skipped.map(\.name) == ["InS3"])
    }

    static let loops = """
        Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
        Parameters:
          Names: {Type: CommaDelimitedList, Default: "a, b.c"}
        Resources:
          Fn::ForEach::Fns:
            - N
            - !Ref Names
            - "&{N}Fn":
                Type: AWS::Serverless::Function
                Properties:
                  Runtime: python3.12
                  Handler: a.b
                  CodeUri: !Sub "src/${N}"
                  Fn::ForEach::Env:
                    - E
                    - [x]
                    - ${E}Tag: !Ref N
        """

    @Test func forEachExpandsWithLanguageExtensionsAndIsAnErrorWithout() async throws {
        let template = try await load(["template.yaml": Self.loops], languageExtensions: true)
        #expect(template.functions.map(\.name) == ["aFn", "bcFn"])
        #expect(template.functions[1].codePath?.hasSuffix("/src/b.c") == true)
        let error = await #expect(throws: TemplateError.self) { _ = try await load(["template.yaml": Self.loops]) }
        #expect(error?.message.contains("Fn::ForEach::Fns") == true)
        #expect(error?.hint?.contains("`languageExtensions`") == true)
        #expect(error?.location?.line == 5)
        let overridden = try await load(
            ["template.yaml": Self.loops], overrides: ["Names=x,y,z"], languageExtensions: true)
        #expect(overridden.functions.map(\.name) == ["xFn", "yFn", "zFn"])
    }

    @Test func forEachKeysThatCollideAreAnError() async throws {
        let text = Self.loops.replacingOccurrences(of: "\"&{N}Fn\"", with: "Same")
        let error = await #expect(throws: TemplateError.self) {
            _ = try await load(["template.yaml": text], languageExtensions: true)
        }
        #expect(error?.message.contains("'Same'") == true)
    }

    @Test(arguments: [("1", true), (" TRUE ", true), ("yes", true), ("0", false), ("", false), ("on", false)])
    func languageExtensionsFollowSAMCLIsVariable(_ value: String, _ enabled: Bool) {
        #expect(
            TemplateLoader.languageExtensionsEnabled(environment: ["SAM_CLI_ENABLE_LANGUAGE_EXTENSIONS": value])
                == enabled)
    }
}
