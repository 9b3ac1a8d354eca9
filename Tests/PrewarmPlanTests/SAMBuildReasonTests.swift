import Foundation
import PrewarmPlan
import PrewarmTemplate
import PrewarmTestKit
import Testing

@Suite struct SAMBuildReasonTests {
    @Test func saysWhichFunctionsSAMBuildsOnEveryInvoke() async throws {
        let plan = try Planner().plan(try await TemplateLoader().load(Fixtures.path("sam-local/template.yaml")))
        let reasons = Dictionary(uniqueKeysWithValues: plan.functions.map { ($0.name, $0.samBuildsOnInvoke?.code) })
        #expect(reasons["Plain"] == .some(nil))
        #expect(reasons["ArnLayer"] == .some(nil), "a layer by ARN does not make SAM build")
        #expect(reasons["DirLayerFunction"] == .templateLayer)
        #expect(reasons["Child/ChildFunction"] == .templateLayer)
        #expect(reasons["ImageFunction"] == .noRuntime)
        #expect(reasons["ImageWithRuntime"] == .some(nil), "an Image function with a Runtime is used as it is")
        let message = try #require(plan.functions.first { $0.name == "ZipAndDirLayers" }?.samBuildsOnInvoke?.message)
        #expect(message.contains("layers ZipLayer, DirLayer are defined") && message.contains("--for-sam"))
        let one = try #require(plan.functions.first { $0.name == "DirLayerFunction" }?.samBuildsOnInvoke?.message)
        #expect(one.contains("because layer ") && one.contains(" is defined"), "\(one)")

        // In JSON the field is always there: null when sam local uses the image as it is.
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(plan.json().utf8)) as? [String: Any])
        let functions = try #require(json["functions"] as? [[String: Any]])
        let plain = try #require(functions.first { $0["name"] as? String == "Plain" })
        #expect(plain.keys.contains("samBuildsOnInvoke") && plain["samBuildsOnInvoke"] is NSNull)
        let image = try #require(functions.first { $0["name"] as? String == "ImageFunction" })
        #expect((image["samBuildsOnInvoke"] as? [String: Any])?["reason"] as? String == "no-runtime")
    }

    /// A Runtime in Globals reaches Image functions too, as the real SAM CLI showed (ci/sam-local-test).
    @Test func anImageFunctionWithARuntimeFromGlobalsIsNotRebuilt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(
            "template.yaml",
            """
            Globals:
              Function: {Runtime: python3.12, Handler: app.handler}
            Resources:
              Image:
                Type: AWS::Serverless::Function
                Properties: {PackageType: Image, ImageUri: "app:v1"}
            """)
        let plan = try Planner().plan(try await TemplateLoader().load(path))
        let image = try #require(plan.functions.first)
        #expect(image.samBuildsOnInvoke == nil)
        #expect(image.image == "app:rapid-x86_64")
        guard case .image(let planned) = plan.graph.node(image.nodeID)?.payload else {
            Issue.record("no image node")
            return
        }
        #expect(!planned.samBuildsOnEveryInvoke, "prewarm builds its own image, which SAM uses as it is")
    }
}
