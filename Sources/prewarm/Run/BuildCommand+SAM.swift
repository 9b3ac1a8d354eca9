import Foundation
import PrewarmLayers
import PrewarmPlan
import PrewarmRun
import PrewarmSAMConfig
import PrewarmSupport

/// What the build takes from the SAM configuration and, with `--for-sam`, the configuration it wrote.
struct SAMContext {
    /// The user's configuration, when there is one.
    var settings: SAMLocalSettings?
    /// With `--for-sam`: what was written for `sam local … --config-file`.
    var ready: SAMReadyConfiguration?
    /// The environment, with `SAM_LAYER_CACHE_BASEDIR` from the configuration's `layer_cache_basedir` when
    /// neither the flag nor the variable gives one (the variable wins over the file in SAM CLI too).
    var environment: [String: String]
    /// Whether to skip pulling base images: the flag, else the configuration's `skip_pull_image`.
    var skipPull: Bool
}

extension BuildCommand {
    /// The plan to build under the user's SAM configuration. With `--for-sam`, first writes the SAM-ready
    /// configuration (layers into the layer cache, derived templates, `samconfig.toml`) and plans the derived
    /// template, so that the images get the names SAM will look for under that configuration.
    func samAwarePlan() async throws -> (Plan, SAMContext) {
        var environment = ProcessInfo.processInfo.environment
        let config = try samConfig.settings()
        let settings = config?.settings
        if let path = config?.path { Console.write("prewarm: SAM configuration: \(path) [\(samConfig.configEnv)]") }
        if layers.cacheDirectory == nil, environment["SAM_LAYER_CACHE_BASEDIR"]?.isEmpty ?? true,
            let directory = settings?.layerCacheBasedir
        {
            environment["SAM_LAYER_CACHE_BASEDIR"] = directory
        }
        let skipPull = skipPullImage || (settings?.skipPullImage ?? false)
        var context = SAMContext(settings: settings, ready: nil, environment: environment, skipPull: skipPull)
        guard forSAM else { return (try await template.plan(config: settings), context) }

        let original = try await template.load(config: settings)
        let store = LayerStore(
            baseDirectory: layers.cacheDirectory(environment: environment), maxExpandedSize: layers.maxSize.bytes)
        let ready: SAMReadyConfiguration
        do {
            ready = try await SAMReadyConfiguration.write(
                template: original, originalPath: original.path, store: store,
                parameters: SAMReadyConfiguration.Parameters(
                    carried: settings?.invokeParameters ?? [:],
                    parameterOverrides: template.effectiveParameterOverrides(config: settings),
                    invokeImages: template.effectiveInvokeImages(config: settings),
                    skipPullImage: skipPull ? true : settings?.skipPullImage))
        } catch let error as ImageError {
            throw CommandFailure(message: "--for-sam: \(error.message)", exitCode: .unusableInput)
        }
        for warning in ready.warnings { Console.warning(warning) }
        var plan = try template.plan(
            try await template.load(config: settings, path: ready.templatePath), config: settings)
        // The journal and messages stay those of the user's template.
        plan.template = original.path
        context.ready = ready
        return (plan, context)
    }

    /// Says, for each function, whether `sam local` will build its image anyway, and why; with
    /// `--for-sam`, the command line to use.
    func reportSAMBuilds(_ plan: Plan, context: SAMContext) {
        for function in plan.functions {
            guard let reason = function.samBuildsOnInvoke else { continue }
            Console.write("prewarm: sam local: \(function.name) (\(function.architecture)): \(reason.message)")
        }
        if let ready = context.ready {
            Console.write("prewarm: SAM-ready configuration in \(ready.directory); run: \(ready.invokeCommand)")
        }
    }
}
