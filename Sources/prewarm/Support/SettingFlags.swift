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
        case .layerCacheDirectory: "--layer-cache-basedir"
        case .maxLayerSize: "--max-layer-size"
        case .skipPull: "--skip-pull-image"
        case .journalPath: "--journal"
        case .languageExtensions: "--language-extensions"
        case .failFast: "--fail-fast"
        case .forSAM: "--for-sam"
        case .samConfigDirectory: "--sam-config-dir"
        default: "--\(setting)"
        }
    }

    /// The flag of the setting that changes `input`; its mention when no flag changes it.
    static func spell(_ input: any MessageInput) -> String {
        Setting.spelling(input, as: flag(for:))
    }

    /// `message` with every input it mentions spelled as the flag of the setting that changes it; an input
    /// that no flag changes keeps its mention.
    static func render(_ message: Message) -> String {
        message.rendered(settings: flag(for:))
    }

    /// What `error` says on one line (its ``MessageError/line``, or what the system said), with every input
    /// it mentions spelled as a flag.
    static func render(_ error: any Error) -> String {
        render(Message(describing: error))
    }

    /// A session's error as one line: its message, and its remedy when the message does not say it
    /// already.
    static func render(_ error: BuildSessionError) -> String {
        let message = render(error.text)
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
