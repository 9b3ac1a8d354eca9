import ArgumentParser
import PrewarmRun

/// What every command that builds, or checks a build, reads besides its own flags: the template,
/// the journal, the engine, the layers, AWS, the emulator and pulls. `build`, `watch` and `doctor`
/// take these, so that they agree on one build.
struct BuildInputOptions: ParsableArguments {
    @OptionGroup var template: TemplateOptions
    @OptionGroup var journal: JournalOptions
    @OptionGroup(title: "Engine") var engine: EngineOptions
    @OptionGroup(title: "Layers") var layers: LayerOptions
    @OptionGroup(title: "AWS") var aws: AWSOptions

    @Option(
        name: .customLong("rie-dir"),
        help: ArgumentHelp(
            "A directory holding aws-lambda-rie-x86_64 / aws-lambda-rie-arm64. Default: $PREWARM_RIE_DIR, else SAM "
                + "CLI's own copy.",
            valueName: "dir"))
    var rieDirectory: String?

    @Flag(name: .customLong("skip-pull-image"), help: "Never pull base images: use the engine's copies, as in SAM CLI.")
    var skipPullImage = false

    func validate() throws {
        if engine.engine == .docker, engine.needsOCIStore {
            throw ValidationError(
                "--push, --cache-from, --cache-to, --registry-mirror and --load work with --engine oci, not docker")
        }
    }

    /// These flags, as the library takes them.
    func configuration() throws -> BuildConfiguration {
        var configuration = try template.configuration()
        engine.apply(to: &configuration)
        configuration.emulatorDirectory = rieDirectory
        configuration.layerCacheDirectory = layers.cacheDirectory
        configuration.maxLayerSize = layers.maxSize.bytes
        configuration.pull = !skipPullImage
        configuration.journalPath = journal.path
        configuration.prewarmVersion = Prewarm.version
        configuration.environment = aws.applied(to: configuration.environment)
        return configuration
    }
}
