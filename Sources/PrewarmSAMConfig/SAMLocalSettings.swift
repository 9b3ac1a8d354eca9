import Foundation

/// What a SAM configuration says about the images `sam local` will look for: the values of the keys that
/// decide them, for `sam local invoke` (`local_invoke`, over `global`).
///
/// `start-api` and `start-lambda` read their own sections; when one of them gives another value for a key
/// that decides image names, ``disagreements`` says which, since one build cannot match both.
public struct SAMLocalSettings: Sendable, Hashable {
    /// `template_file` (or `template`), relative to the current directory as SAM CLI resolves it.
    public var templateFile: String?
    /// `parameter_overrides`, each item as written (`Key=Value Key2=Value2` or `ParameterKey=…`).
    public var parameterOverrides: [String] = []
    /// `invoke_image`, each item `[FUNCTION=]URI`.
    public var invokeImages: [String] = []
    public var skipPullImage: Bool?
    public var forceImageBuild: Bool?
    public var layerCacheBasedir: String?
    /// The keys whose value differs between `local_invoke` and `local_start_api` or `local_start_lambda`,
    /// as `key (command)`.
    public var disagreements: [String] = []
    /// Every parameter of `local_invoke` (over `global`), as read: carried over into a configuration
    /// prewarm writes.
    public var invokeParameters: [String: SAMConfigValue] = [:]

    public init() {}

    /// The settings of `config` in `environment`.
    public init(_ config: SAMConfig, environment: String = "default") {
        let invoke = config.parameters(for: "local_invoke", environment: environment)
        invokeParameters = invoke
        templateFile = (invoke["template_file"] ?? invoke["template"])?.string
        parameterOverrides = invoke["parameter_overrides"]?.strings ?? []
        invokeImages = invoke["invoke_image"]?.strings ?? []
        skipPullImage = invoke["skip_pull_image"]?.bool
        forceImageBuild = invoke["force_image_build"]?.bool
        layerCacheBasedir = invoke["layer_cache_basedir"]?.string
        let deciding = ["template_file", "template", "parameter_overrides", "invoke_image", "layer_cache_basedir"]
        for command in ["local_start_api", "local_start_lambda"] {
            let other = config.parameters(for: command, environment: environment)
            for key in deciding where other[key] != invoke[key] {
                disagreements.append("\(key) (\(command))")
            }
        }
    }

    /// The configuration file SAM CLI reads: `configFile` when given (absolute, or relative to
    /// `currentDirectory`), else the first of `samconfig.toml`, `samconfig.yaml`, `samconfig.yml` in
    /// `currentDirectory`. `nil` when none is given and none exists.
    public static func configFilePath(_ configFile: String?, currentDirectory: String) -> String? {
        if let configFile {
            return configFile.hasPrefix("/") ? configFile : currentDirectory + "/" + configFile
        }
        for name in ["samconfig.toml", "samconfig.yaml", "samconfig.yml"] {
            let path = currentDirectory + "/" + name
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }
}
