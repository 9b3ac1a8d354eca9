import ArgumentParser
import PrewarmRun

/// `--for-sam` and where its SAM configuration goes, for `build` and `watch`.
struct ForSAMOptions: ParsableArguments {
    @Flag(
        name: .customLong("for-sam"),
        help: ArgumentHelp(
            "Also write a SAM configuration for sam local (derived templates in which each layer defined in the "
                + "template is a layer by ARN that prewarm put into SAM's layer cache, and a samconfig.toml), so "
                + "that `sam local invoke --config-file PATH` builds nothing; the line to use is printed."))
    var forSAM = false

    @Option(
        name: .customLong("sam-config-dir"),
        help: ArgumentHelp(
            "With --for-sam: where to write the SAM configuration. Default: .prewarm/sam in the project (next to "
                + "the template, or for .aws-sam/build/template.yaml next to .aws-sam).",
            valueName: "dir"))
    var directory: String?

    func validate() throws {
        if directory != nil, !forSAM { throw ValidationError("--sam-config-dir goes with --for-sam") }
    }

    func apply(to configuration: inout BuildConfiguration) {
        configuration.sam.enabled = forSAM
        configuration.sam.configDirectory = directory
    }
}
