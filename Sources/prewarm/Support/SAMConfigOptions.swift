import ArgumentParser
import Foundation
import PrewarmSAMConfig
import PrewarmSupport

/// `--config-file` and `--config-env`: the SAM configuration (`samconfig.toml`) `sam local` will read, so
/// that prewarm names images under the same template, parameters and base images.
struct SAMConfigOptions: ParsableArguments {
    @Option(
        name: .customLong("config-file"),
        help: ArgumentHelp(
            "SAM CLI's configuration file, as `sam local --config-file`: its local_invoke and global parameters "
                + "(template_file, parameter_overrides, invoke_image, skip_pull_image, layer_cache_basedir) apply "
                + "unless a flag gives them. Default: samconfig.toml in the current directory, when there is one.",
            valueName: "path"))
    var configFile: String?

    @Option(
        name: .customLong("config-env"),
        help: ArgumentHelp("The environment of the configuration file, as `sam local --config-env`.", valueName: "env"))
    var configEnv: String = "default"

    /// The settings the configuration file gives, with its path; `nil` when no file is given and
    /// `directory` (default: the current directory; SAM CLI: the named template's) has no `samconfig.toml`.
    ///
    /// - Throws: `CommandFailure` (exit status 2) when the file given is missing or not TOML, or has no
    ///   `--config-env` environment other than `default`.
    func settings(in directory: String? = nil) throws -> (path: String, settings: SAMLocalSettings)? {
        let current = directory ?? FileManager.default.currentDirectoryPath
        guard let path = SAMLocalSettings.configFilePath(configFile, currentDirectory: current) else { return nil }
        // Without --config-file, a YAML samconfig of the directory is SAM's business, not a reason to fail.
        if configFile == nil, !path.hasSuffix(".toml") { return nil }
        let config: SAMConfig
        do {
            config = try SAMConfig.load(contentsOf: path)
        } catch let error as SAMConfigError {
            throw CommandFailure(message: "--config-file: \(error.message)", exitCode: .unusableInput)
        }
        if configEnv != "default", !config.hasEnvironment(configEnv) {
            throw CommandFailure(
                message: "--config-env \(configEnv): \(path) has no such environment (it has: "
                    + "\(config.environments.keys.sorted().joined(separator: ", ")))",
                exitCode: .unusableInput)
        }
        let settings = SAMLocalSettings(config, environment: configEnv)
        if !settings.disagreements.isEmpty {
            Console.warning(
                """
                \(path): \(settings.disagreements.joined(separator: ", ")) differ from local_invoke's; prewarm builds \
                for sam local invoke's values
                """)
        }
        return (path, settings)
    }
}
