import PrewarmPlan
import PrewarmSupport
import Testing

/// SAM CLI 1.170's naming rules (`samcli/local/docker/lambda_image.py`), with examples from its code. (CI also compares every
/// runtime × architecture with SAM CLI's code itself: ci/compare-with-sam.py.)
@Suite struct SAMNamingTests {
    @Test(arguments: [
        ("python3.12", "python:3.12"), ("nodejs20.x", "nodejs:20"), ("java8.al2", "java:8.al2"), ("java21", "java:21"),
        ("ruby3.3", "ruby:3.3"), ("go1.x", "go:1"), ("dotnet8", "dotnet:8"), ("provided", "provided:alami"),
        ("provided.al2", "provided:al2"), ("provided.al2023", "provided:al2023"),
    ])
    func runtimeRepositoryAndTag(_ runtime: String, _ expected: String) throws {
        #expect(try #require(LambdaRuntime(runtime)).repositoryAndTag == expected)
    }

    @Test func everySupportedRuntimeExceptGoAndProvidedIsPublishedForBothArchitectures() {
        for runtime in LambdaRuntime.all {
            let singleArchitecture = runtime.identifier == "go1.x" || runtime.identifier == "provided"
            #expect(runtime.architectures == (singleArchitecture ? [.x86_64] : [.x86_64, .arm64]), "\(runtime)")
            for architecture in runtime.architectures {
                let tag = runtime.imageTag(for: architecture)
                #expect(tag.hasSuffix("-\(architecture.rawValue)") == !singleArchitecture, "\(tag)")
                #expect(runtime.baseImage(for: architecture) == "public.ecr.aws/lambda/\(tag)")
            }
        }
        #expect(LambdaRuntime.all.count == 31)
        #expect(LambdaRuntime("python3.7") == nil)
        #expect(LambdaRuntime("cobol85") == nil)
    }

    @Test func rapidNames() {
        #expect(SAMImageName.rapidPrefix(runtimeTag: "python:3.12-x86_64") == "3.12-")
        #expect(SAMImageName.rapidPrefix(runtimeTag: "provided:al2023-arm64") == "al2023-")
        #expect(SAMImageName.rapidPrefix(runtimeTag: "go:1") == "1-")
        #expect(
            SAMImageName.rapid(base: "public.ecr.aws/lambda/python:3.12-x86_64", prefix: "3.12-", architecture: .x86_64)
                == "public.ecr.aws/lambda/python:3.12-rapid-x86_64")
        #expect(SAMImageName.rapid(base: "myimg:v1", prefix: "", architecture: .x86_64) == "myimg:rapid-x86_64")
        // The repository is everything before the first ':' (even a registry port's), '@' removed.
        #expect(SAMImageName.repository(ofBase: "registry.example.com:5000/team/img:v1") == "registry.example.com")
        #expect(SAMImageName.repository(ofBase: "myorg/hello@sha256:abc") == "myorg/hellosha256")
        #expect(SAMImageName.repository(ofBase: "hello") == "hello")
    }

    @Test func layeredNameFromSAMCompatExample() {
        #expect(
            SAMImageName.withLayers(runtimeTag: "python:3.9-x86_64", layerNames: ["changed_layer-1-bb0e6f4b9b"])
                == "samcli/lambda-python:3.9-x86_64-91703c73979b3b02baafdc59a")
    }

    @Test func layerARNName() throws {
        let arn = try LayerARN(layer: "arn:aws:lambda:us-east-1:123456789012:layer:utils:3")
        #expect(arn.name == "utils")
        #expect(arn.version == 3)
        #expect(arn.region == "us-east-1")
        #expect(arn.samName.hasPrefix("utils-3-"))
        #expect(arn.samName.count == "utils-3-".count + 10)
    }

    @Test(arguments: [
        "layer:7", "just-a-name", "arn:aws:lambda:us-east-1:123456789012:layer:utils:latest",
        "arn:aws:lambda:us-east-1:123456789012:layer:utils", "arn:aws:s3:us-east-1:123456789012:layer:utils:1",
        "arn:aws:lambda:us-east-1:1234:layer:utils:1", "arn:aws:lambda:us-east-1:123456789012:function:utils:1",
        "arn:aws:lambda:us-east-1:123456789012:layer:bad.name:1", "arn:aws:lambda:us-east-1:123456789012:layer:utils:0",
    ])
    func malformedLayerARNsAreErrorsNamingTheARN(_ text: String) {
        let error = #expect(throws: PlanError.self) { try LayerARN(layer: text) }
        #expect(error?.code == .invalidLayerARN)
        #expect(error?.message.contains("'\(text)'") == true)
        #expect(error?.description.contains("arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION") == true)
    }
}
