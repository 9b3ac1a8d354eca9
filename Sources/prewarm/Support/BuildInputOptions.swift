import ArgumentParser
import PrewarmRun

/// What every command that builds, or checks a build, reads besides its own flags: the template,
/// the journal, the engine, the layers, AWS, SAM's configuration file, the emulator and pulls. `build`, `watch` and `doctor`
/// take these, so that they agree on one build.
struct BuildInputOptions: ParsableArguments {
    @OptionGroup var template: TemplateOptions
    @OptionGroup var journal: JournalOptions
    @OptionGroup(title: "Engine") var engine: EngineOptions
    @OptionGroup(title: "Layers") var layers: LayerOptions
    @OptionGroup(title: "AWS") var aws: AWSOptions
    @OptionGroup(title: "SAM configuration") var samConfig: SAMConfigOptions

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
                "--push, --cache-to, --registry-mirror and --load work with --engine oci, not docker")
        }
    }

    /// These flags, and the SAM configuration file (`samconfig.toml`) where a flag does not say, as the
    /// library takes them.
    func configuration() throws -> BuildConfiguration {
        let config = try samConfig.settings(in: template.template.samConfigDirectory())
        var configuration = try template.configuration(config: config)
        if let path = config?.path { Console.write("prewarm: SAM configuration: \(path) [\(samConfig.configEnv)]") }
        let settings = config?.settings
        engine.apply(to: &configuration)
        configuration.inputs.emulatorDirectory = rieDirectory
        configuration.inputs.layerCacheDirectory = layers.cacheDirectory
        // SAM CLI: the flag, else $SAM_LAYER_CACHE_BASEDIR, else the configuration file's value.
        if layers.cacheDirectory == nil, configuration.environment["SAM_LAYER_CACHE_BASEDIR"]?.isEmpty ?? true {
            configuration.inputs.layerCacheDirectory = settings?.layerCacheBasedir
        }
        configuration.sam.parameters = settings?.invokeParameters ?? [:]
        configuration.sam.skipPullImage = settings?.skipPullImage
        configuration.inputs.maxLayerSize = layers.maxSize.bytes
        configuration.images.pull = !(skipPullImage || settings?.skipPullImage == true)
        configuration.journalPath = journal.path
        configuration.prewarmVersion = Prewarm.version
        configuration.environment = aws.applied(to: configuration.environment)
        return configuration
    }
}
