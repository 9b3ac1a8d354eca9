import Foundation
import PrewarmTemplate
import PrewarmTestKit
import Testing

@testable import PrewarmPlan

/// `Plan.json` writes its document by hand (`JSONWriter`), for speed; its bytes must be exactly those
/// `JSONEncoder` gives for the same document, so that nothing reading plans sees a change.
@Suite struct JSONPlanTests {
    /// Templates with errors, skipped resources, nested stacks, Image functions (null runtimes), layers
    /// defined in the template (samBuildsOnInvoke) and layers by ARN.
    static let templates = [
        "sam-local/template.yaml", "sam/globals.yaml", "sam/images.yaml", "sam/intrinsics.yaml", "sam/layers.yaml",
        "sam/runtimes.yaml", "sam/skipped.yaml", "sam/errors/runtime-arch.yaml", "sam/errors/layer-arns.yaml",
        "sam/errors/missing-handler.yaml", "sam/cdk.template.json",
    ]

    static func encoded(_ document: JSONPlan, pretty: Bool) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    @Test(arguments: templates)
    func thePlanIsWhatJSONEncoderWrites(_ template: String) async throws {
        let plan = try Planner().plan(try await TemplateLoader().load(Fixtures.path(template)))
        for shards in [nil, 3] as [Int?] {
            for pretty in [true, false] {
                let written = plan.json(pretty: pretty, shards: shards)
                let expected = try Self.encoded(plan.jsonDocument(shards: shards), pretty: pretty)
                #expect(written == expected, "\(template), shards \(shards.map(String.init) ?? "-"), pretty \(pretty)")
            }
        }
    }

    /// The templates above hold errors, skipped resources and both kinds of samBuildsOnInvoke: the
    /// comparison covers every field.
    @Test func theTemplatesCoverEveryField() async throws {
        var seen = Set<String>()
        for template in Self.templates {
            let plan = try Planner().plan(try await TemplateLoader().load(Fixtures.path(template)))
            if !plan.errors.isEmpty { seen.insert("errors") }
            if !plan.skipped.isEmpty { seen.insert("skipped") }
            if !plan.warnings.isEmpty { seen.insert("warnings") }
            if plan.functions.contains(where: { $0.runtime == nil }) { seen.insert("null runtime") }
            if plan.functions.contains(where: { $0.samBuildsOnInvoke != nil }) { seen.insert("samBuildsOnInvoke") }
        }
        #expect(seen == ["errors", "skipped", "warnings", "null runtime", "samBuildsOnInvoke"])
    }

    /// Strings with what JSON escapes: quotes, backslashes, control characters; and what it does not:
    /// slashes and non-ASCII.
    @Test func stringsAreEscapedAsJSONEncoderEscapesThem() throws {
        let strings = [
            "plain", "a \"quoted\" word", "back\\slash", "line\nbreak\r\ttab", "\u{8}\u{C}\u{0}\u{1F}\u{7F}",
            "a/path/with/slashes", "…é漢字🙂", "",
        ]
        for pretty in [true, false] {
            var text = JSONWriter(pretty: pretty)
            text.strings(strings)
            let encoder = JSONEncoder()
            encoder.outputFormatting = pretty ? [.prettyPrinted, .withoutEscapingSlashes] : [.withoutEscapingSlashes]
            #expect(text.text == String(decoding: try encoder.encode(strings), as: UTF8.self))
        }
    }
}
