import Foundation
import PrewarmLayers
import PrewarmPlan
import PrewarmRun
import PrewarmSupport
import PrewarmTemplate
import PrewarmTestKit
import Testing

/// Which layers by ARN a build can take from the layer cache before it starts.
@Suite struct LayerFetcherTests {
    /// A layer `--for-sam` has just installed and verified is taken as it is: the fetcher does not look for it
    /// in the cache (and hash it) again. Here the store it is asked about does not even hold it.
    @Test func layersVerifiedInThisProcessAreNotLookedUpAgain() async throws {
        let directory = try TemporaryDirectory("layer-fetcher")
        defer { directory.remove() }
        let arn = "arn:aws:lambda:us-east-1:123456789012:layer:pw-Common-0123456789ab:1"
        let path = try directory.write(
            "template.yaml",
            """
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties: {Runtime: python3.12, Handler: a.b, Layers: ["\(arn)"]}

            """)
        let graph = try Planner().plan(try await TemplateLoader().load(path)).graph
        let samName = try LayerARN(layer: arn).samName
        try directory.write("Common/python/common.py", "value = 1\n")
        let installed = try await LayerStore(baseDirectory: directory.path + "/installed")
            .install(templateLayer: directory.path + "/Common", named: samName)
        let empty = LayerStore(baseDirectory: directory.path + "/empty")

        let unknown = LayerFetcher.verifiedLayers(of: graph, in: empty)
        #expect(unknown.missing.map(\.text) == [arn])
        let known = LayerFetcher.verifiedLayers(of: graph, in: empty, known: [samName: installed])
        #expect(known.missing.isEmpty)
        #expect(known.verified[samName]?.path == installed.path)
        #expect(known.verified[samName]?.contentDigest == installed.contentDigest)
    }
}
