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
}
