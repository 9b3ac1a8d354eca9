import PrewarmRun
import PrewarmSupport

/// How the command line spells the settings the libraries name: the one place where flags and
/// messages meet.
enum SettingFlags {
    /// The flag (with its value, where the setting is one value of a flag) that sets `setting`.
    static func flag(for setting: Setting) -> String {
        switch setting {
        case .parameterOverrides: "--parameter-overrides"
        case .architectures: "--arch"
        case .functions: "--function"
        case .invokeImages: "--invoke-image"
        case .engineDocker: "--engine docker"
        case .dockerHost: "--docker-host"
        case .ociStore: "--oci-store"
        case .emulatorDirectory: "--rie-dir"
        case .maxLayerSize: "--max-layer-size"
        case .skipPull: "--skip-pull-image"
        case .journalPath: "--journal"
        default: "--\(setting)"
        }
    }

    /// `text` (a library's message) with every setting it mentions spelled as its flag.
    static func render(_ text: String) -> String {
        guard text.contains("`") else { return text }
        var result = text
        for setting in Setting.all {
            result = result.replacingOccurrences(of: setting.mention, with: flag(for: setting))
        }
        return result
    }

    /// A session's error as one line: its message, and its remedy when the message does not say it
    /// already.
    static func render(_ error: BuildSessionError) -> String {
        let message = render(error.message)
        let hint: (text: String, key: String)? =
            switch error.remedy {
            case .change(let setting)?: ("pass \(flag(for: setting))", flag(for: setting))
            case .resume?: ("run prewarm build --resume", "--resume")
            case .importBase(let reference)?: ("import \(reference) with prewarm import FILE", "prewarm import")
            case .editTemplate?, nil: nil
            }
        guard let hint, !message.contains(hint.key) else { return message }
        return "\(message); \(hint.text)"
    }
}
