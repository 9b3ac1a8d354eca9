import Foundation
import PrewarmArchive
import PrewarmImage
import PrewarmPlan
import PrewarmRun
import PrewarmSupport
import PrewarmTemplate
import PrewarmTestKit
import Testing

@testable import PrewarmJournal
@testable import prewarm

/// The libraries name settings by their `Setting.mention`; the command line says them as flags. These
/// are the libraries' messages as prewarm prints them (the libraries' own tests check the mentions).
@Suite struct SettingFlagsTests {
    @Test func everySettingHasAFlagOfItsOwn() {
        let flags = Setting.all.map(SettingFlags.flag(for:))
        #expect(Set(flags).count == flags.count)
        #expect(flags.allSatisfy { $0.hasPrefix("--") })
        #expect(
            SettingFlags.render("drop \(Setting.skipPull), or raise \(Setting.maxLayerSize)")
                == "drop --skip-pull-image, or raise --max-layer-size")
    }

    /// A retried node's error in `--progress json` spells settings as flags, as the other lines do.
    @Test func aRetryInJSONProgressNamesTheFlag() {
        let node = BuildGraph.Node(
            id: "base:b@linux/amd64", kind: .base, needs: [], payload: .base(reference: "b", architecture: .x86_64))
        let error: Message = "no Docker engine answers; point prewarm at one with \(Setting.dockerHost)"
        let line = ProgressReporter.jsonLine(
            for: .retrying(node, attempt: 1, error: BuildSessionError(.engine, error), delay: .seconds(1)))
        #expect(line.contains("point prewarm at one with --docker-host"), "\(line)")
    }

    /// Moved from ZipExtractorTests.stopsAtTheLimitWhileWriting.
    @Test func aLayerZipPastTheLimitNamesTheFlag() async throws {
        let directory = try TemporaryDirectory("prewarm-zip")
        defer { directory.remove() }
        let zips = try await LayerZips.make(["liar.zip"], in: directory.path + "/zips")
        let error = #expect(throws: ArchiveError.self) {
            try ZipExtractor(maxExpandedSize: 2000).extract(
                zips + "/liar.zip", to: directory.path + "/layer", label: "liar")
        }
        #expect(error.flatMap { Setting(mentionedIn: $0.text) } == .maxLayerSize)
        #expect(
            error.map { SettingFlags.render($0) }
                == "layer zip liar: expands past the limit of 2000 bytes (--max-layer-size) at entry 'zeros'; "
                + "the archive is rejected", "rendered from its mentions, without reading the text")
        #expect(
            error.map { SettingFlags.render($0.text) }
                == "layer zip liar: expands past the limit of 2000 bytes (--max-layer-size) at entry 'zeros'; "
                + "the archive is rejected")
    }

    /// Moved from EmulatorLocatorTests.
    @Test func aMissingEmulatorNamesTheFlag() throws {
        let directory = try TemporaryDirectory("prewarm-rie")
        defer { directory.remove() }
        try directory.write("given/aws-lambda-rie-arm64", "x")
        let locator = EmulatorLocator(directory: directory.path + "/given", environment: ["PATH": ""])
        let missing = #expect(throws: EngineError.self) { try locator.emulator(for: "x86_64") }
        #expect(missing.map { SettingFlags.render($0.text) }?.contains("--rie-dir") == true)
        let nowhere = #expect(throws: EngineError.self) {
            try EmulatorLocator(environment: ["PATH": ""]).emulator(for: "x86_64")
        }
        #expect(nowhere.map { SettingFlags.render($0.text) }?.contains("pass --rie-dir DIR") == true)
    }

    /// Moved from ParameterOverridesTests.malformedInputIsAnError.
    @Test(arguments: ["JustAWord", "=value", "Key=\"unterminated", "ParameterKey=K ParameterValue=V"])
    func malformedOverridesNameTheFlag(_ argument: String) {
        let error = #expect(throws: TemplateError.self) { try ParameterOverrides(parsing: [argument]) }
        #expect(error.map { SettingFlags.render($0) }?.contains("--parameter-overrides") == true)
    }

    /// Moved from JournalOpenTests.aJournalOfANewerSchemaIsRefusedAndLeftAlone.
    @Test func aNewerJournalNamesTheFlag() {
        let path = "/work/app/.prewarm/journal.sqlite"
        let error = JournalError.newerSchema(path: path, found: 99, known: Journal.schemaVersion)
        #expect(
            SettingFlags.render(error)
                == "journal \(path) was written by a newer prewarm (schema 99, this one knows "
                + "\(Journal.schemaVersion)); upgrade prewarm or use --journal to start a new one")
    }

    /// Moved from JournalOpenTests.aFileThatIsNotADatabaseIsRefusedAndLeftAlone: as `prewarm runs` says it.
    @Test func aFileThatIsNotAJournalNamesTheFlag() async throws {
        let directory = try TemporaryDirectory("prewarm-journal")
        defer { directory.remove() }
        let path = try directory.write("journal.sqlite", String(repeating: "not a database\n", count: 100))
        let result = try await PrewarmExecutable.run(["runs", "--journal", path])
        #expect(result.status == 2)
        let message = result.stderr
        #expect(message.contains(path))
        #expect(message.contains("move it away or pass --journal"))
    }

    /// Only the inputs a message keeps as values are spelled: text that looks like a mention stays text.
    @Test func renderingKeepsWhatIsNotASetting() {
        #expect(
            SettingFlags.render(
                "run `eval x` or pass \(Setting.parameterOverrides) A=1 and \(Setting.skipPull), `dangling")
                == "run `eval x` or pass --parameter-overrides A=1 and --skip-pull-image, `dangling")
        #expect(SettingFlags.render("no mention") == "no mention")
        #expect(SettingFlags.render("`\(Setting.maxLayerSize)") == "`--max-layer-size")
        #expect(SettingFlags.render("`maxLayerSize` as text") == "`maxLayerSize` as text")
    }

    /// A prewarm error behind another keeps its inputs: the cause is spelled too.
    @Test func aWrappedErrorsInputsAreSpelled() {
        let inner = ArchiveError(.layerTooLarge, "expands past the limit (\(ArchiveInput.maxExpandedSize))")
        let outer = EngineError(.buildFailed, "cannot build image:fn", cause: inner)
        #expect(
            SettingFlags.render(outer) == "cannot build image:fn: expands past the limit (--max-layer-size)",
            "\(outer)")
        let session = BuildSessionError(.engine, "cannot start: \(outer.line)")
        #expect(SettingFlags.render(session).contains("(--max-layer-size)"))
    }
}
