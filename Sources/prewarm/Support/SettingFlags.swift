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
        case .samConfigDirectory: "--sam-config-dir"
        default: "--\(setting)"
        }
    }

    /// `text` (a library's message, already a string) with every setting it mentions spelled as its flag.
    /// One pass over the text's UTF-8 bytes, a mention looked up only between two backticks close enough to
    /// hold one: a plan's JSON of thousands of functions goes through here too (4.5 MB for
    /// Benchmarks/plan-scale), where a pass over its `Character`s took longer than planning.
    ///
    /// Only for text that reached the command line as a string: node outcomes and retries, the journal's
    /// records, a plan's warnings and errors, the template's and journal's errors. An error that keeps its
    /// ``Message`` is rendered by its mentions instead (``render(_:)-(any PrewarmError)``).
    static func render(_ text: String) -> String {
        let backtick = UInt8(ascii: "`")
        guard text.utf8.contains(backtick) else { return text }
        var text = text
        return text.withUTF8 { bytes in
            var result: [UInt8] = []
            result.reserveCapacity(bytes.count)
            var copied = 0  // bytes[..<copied] are in result
            var open = bytes.firstIndex(of: backtick)
            while let start = open, let close = bytes[(start + 1)...].firstIndex(of: backtick) {
                if close - start + 1 <= longestMention,
                    let flag = flags[String(decoding: bytes[start...close], as: UTF8.self)]
                {
                    result.append(contentsOf: bytes[copied..<start])
                    result.append(contentsOf: flag.utf8)
                    copied = close + 1
                    open = bytes[copied...].firstIndex(of: backtick)
                } else {
                    // Not a setting: its closing backtick may open the next mention.
                    open = close
                }
            }
            result.append(contentsOf: bytes[copied...])
            return String(decoding: result, as: UTF8.self)
        }
    }

    /// `message` with every input it mentions spelled as the flag of the setting that changes it.
    static func render(_ message: Message) -> String {
        message.rendered(settings: flag(for:))
    }

    /// `error`'s message and cause, with every input it mentions spelled as a flag.
    static func render(_ error: any PrewarmError) -> String {
        error.rendered { input in Setting(input).map(flag(for:)) ?? input.mention }
    }

    /// Each setting's mention, with the flag that spells it.
    private static let flags = Dictionary(uniqueKeysWithValues: Setting.all.map { ($0.mention, flag(for: $0)) })
    /// The longest mention, in UTF-8 bytes: text between backticks farther apart is no mention.
    private static let longestMention = flags.keys.map(\.utf8.count).max() ?? 0

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
