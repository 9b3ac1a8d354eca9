import PrewarmArchive
import PrewarmImage
import PrewarmJournal
import PrewarmOCI
import PrewarmPlan
import PrewarmRun
import PrewarmSupport
import PrewarmTemplate
import Testing

/// Every input a module's messages mention is changed by a setting of the build, and is named as it.
@Suite struct SettingTests {
    static let inputs: [any MessageInput] =
        ArchiveInput.allCases + RegistryInput.allCases + EngineInput.allCases + TemplateInput.allCases
        + PlanInput.allCases + JournalInput.allCases

    @Test func everyModuleInputMapsToTheSettingItsMentionNames() throws {
        for input in Self.inputs {
            let setting = try #require(Setting(input), "\(input)")
            #expect(setting.mention == input.mention, "\(input)")
        }
        #expect(Setting(ArchiveInput.maxExpandedSize) == .maxLayerSize)
        #expect(Setting(EngineInput.noPull) == .skipPull)
        #expect(Setting(JournalInput.path) == .journalPath)
    }

    @Test func aMessageKeepsItsInputsAndIsSpelledAtTheEdge() {
        let limit = 2000
        let message: Message = "expands past \(limit) bytes (\(ArchiveInput.maxExpandedSize)); "
        let joined = message + "or pass \(Setting.failFast)"
        #expect(joined.inputs.count == 2)
        #expect(joined.description == "expands past 2000 bytes (`maxLayerSize`); or pass `failFast`")
        #expect(
            joined.rendered(settings: { "<\($0)>" }) == "expands past 2000 bytes (<maxLayerSize>); or pass <failFast>")
        #expect(Setting(mentionedIn: joined) == .maxLayerSize)
        #expect(Setting(mentionedIn: "no input") == nil)
        #expect("plain \(TemplateInput.parameterOverrides)" == "plain `parameterOverrides`", "a String names it too")
    }
}
