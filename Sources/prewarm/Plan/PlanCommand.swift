import ArgumentParser
import PrewarmPlan
import PrewarmRun

/// `prewarm plan`: shows what would be built, without building anything.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show, for every function, the image `sam local` will look for, and the build graph.",
        discussion: """
            Reads only the template(s): code and layer directories need not exist, and no engine or \
            network is used.

            Examples:
              prewarm plan template.yaml
              prewarm plan template.yaml --arch x86_64,arm64 --format json
              prewarm plan template.yaml --format dot | dot -Tsvg > graph.svg
              prewarm plan --parameter-overrides 'Stage=prod LayerVersion=3'
              prewarm plan --shard 2/4                   # what CI runner 2 of 4 builds
              prewarm plan --format json --shards 4      # each image's shard, each shard's cost

            Exit codes: 0 every function planned; 1 some function had an error (all others are still \
            planned and printed); 2 unusable input (missing or malformed template, bad flags).
            """
    )

    @OptionGroup var template: TemplateOptions
    @OptionGroup(title: "SAM configuration") var samConfig: SAMConfigOptions

    @Option(help: "Output format: text (a table), json (machine-readable), dot (Graphviz).")
    var format: OutputFormat = .text

    @Option(
        help: ArgumentHelp(
            "Show only what shard K of N builds (as prewarm build --shard K/N): its images, and the layers and "
                + "bases they need.", valueName: "K/N"))
    var shard: Shard?

    @Option(
        help: ArgumentHelp(
            "With --format json: give each function the shard of N that builds its image, and list each "
                + "shard's images, layers and cost (to make a CI matrix from).", valueName: "N"))
    var shards: Int?

    func validate() throws {
        if let shards, shards < 1 { throw ValidationError("--shards must be at least 1") }
        if shards != nil, format != .json { throw ValidationError("--shards goes with --format json") }
        if shard != nil, shards != nil { throw ValidationError("give --shard K/N or --shards N, not both") }
    }

    func run() async throws {
        let config = try samConfig.settings(in: template.template.samConfigDirectory())
        var configuration = try template.configuration(config: config)
        configuration.images.shard = shard
        let plan = try await BuildSession(configuration).planned().plan
        // Errors in the plan mention settings as values; here they are spelled as flags.
        switch format {
        case .text:
            print(TableText.render(plan.tableRows), terminator: "")
            for item in plan.skipped { print("skipped  \(item.name): \(SettingFlags.render(item.reason))") }
            if let summary = plan.samBuildsSummary(listing: 10) { print(summary) }
            print(plan.summary)
        case .json: print(plan.json(shards: shards, spell: SettingFlags.spell))
        case .dot: print(plan.dot(), terminator: "")
        }
        Console.report(plan, listingSkipped: format != .text)  // the table lists them already
        if !plan.errors.isEmpty { throw ExitStatus.partialFailure.exitCode }
    }
}
