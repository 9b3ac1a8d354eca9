import Foundation
import PrewarmPlan
import PrewarmTemplate
import PrewarmTestKit
import Testing

/// Each planned image names its base node, in the plan and in its JSON.
@Suite struct BaseNodeTests {
    @Test func everyImageNamesItsBaseNodeInThePlanAndItsJSON() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try directory.write(
            "template.yaml",
            """
            Resources:
              A:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, Handler: a.b}
              B:
                Type: AWS::Serverless::Function
                Properties: {Runtime: nodejs20.x, Handler: a.b}
            """)
        let plan = try Planner(options: PlanOptions(architectures: [.x86_64, .arm64]))
            .plan(try await TemplateLoader().load(path))
        let images = plan.graph.nodes.compactMap { node -> (BuildGraph.Node, PlannedImage)? in
            guard case .image(let image) = node.payload else { return nil }
            return (node, image)
        }
        #expect(images.count == 4)
        for (node, image) in images {
            let base = try #require(plan.graph.node(image.baseNodeID), "\(image.baseNodeID) is a node of the graph")
            #expect(base.kind == .base)
            #expect(base.payload == .base(reference: image.baseImage, architecture: image.architecture))
            #expect(node.needs.contains(image.baseNodeID))
            #expect(
                image.baseNodeID == BuildGraph.baseNodeID(reference: image.baseImage, architecture: image.architecture))
        }
        #expect(
            BuildGraph.baseNodeID(reference: "public.ecr.aws/lambda/python:3.12-arm64", architecture: .arm64)
                == "base:public.ecr.aws/lambda/python:3.12-arm64@linux/arm64")

        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(plan.json().utf8)) as? [String: Any])
        let nodes = try #require((json["graph"] as? [String: Any])?["nodes"] as? [[String: Any]])
        for node in nodes {
            switch node["kind"] as? String {
            case "image":
                let base = try #require(node["base"] as? String, "an image node names its base")
                #expect((node["needs"] as? [String])?.contains(base) == true)
                #expect(nodes.contains { $0["id"] as? String == base && $0["kind"] as? String == "base" })
            default:
                #expect(node["base"] == nil, "only image nodes have a base")
            }
        }
    }
}
