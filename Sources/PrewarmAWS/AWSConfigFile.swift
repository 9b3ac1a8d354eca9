import Foundation

/// The profiles of one AWS shared file (`~/.aws/credentials` or `~/.aws/config`), as the AWS CLI reads them.
///
/// Sections are `[name]` in the credentials file and `[default]` or `[profile name]` in the config file;
/// the config file's `[sso-session name]` sections are kept apart, and its other sections (`[services …]`)
/// are ignored. Keys are compared
/// without regard to case; lines starting with `#` or `;` are comments; indented lines continue a nested
/// setting (such as `s3 =`) and are skipped.
struct AWSConfigFile: Sendable {
    /// Which of the two files this is: they name their sections differently.
    enum Kind: Sendable {
        case credentials, config
    }

    /// The file this was read from.
    let path: String
    /// Settings by profile name, with lowercased keys.
    let profiles: [String: [String: String]]
    /// Settings by `sso-session` name (config file only), with lowercased keys.
    let ssoSessions: [String: [String: String]]

    /// Reads the file at `path`; `nil` when there is no file there.
    ///
    /// - Throws: ``AWSError`` with code ``AWSError/Code/invalidConfiguration`` when the file exists but
    ///   cannot be read.
    static func load(_ path: String, kind: Kind) throws -> AWSConfigFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AWSError(
                .invalidConfiguration, "cannot read the AWS \(kind) file \(path): check its permissions")
        }
        return AWSConfigFile(path: path, text: String(decoding: data, as: UTF8.self), kind: kind)
    }

    init(path: String, text: String, kind: Kind) {
        self.path = path
        var sections: [Section: [String: String]] = [:]
        var current: Section?
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                current = line.hasSuffix("]") ? Self.section(line.dropFirst().dropLast(), kind: kind) : nil
                if let current, sections[current] == nil { sections[current] = [:] }
                continue
            }
            // A nested setting's lines are indented under their parent key.
            guard let current, let first = rawLine.first, !first.isWhitespace,
                let equals = line.firstIndex(of: "=")
            else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[current, default: [:]][key] = value
        }
        var profiles: [String: [String: String]] = [:]
        var ssoSessions: [String: [String: String]] = [:]
        for (section, settings) in sections {
            switch section {
            case .profile(let name): profiles[name] = settings
            case .ssoSession(let name): ssoSessions[name] = settings
            }
        }
        self.profiles = profiles
        self.ssoSessions = ssoSessions
    }

    /// A section that is kept: a profile, or an `sso-session`.
    private enum Section: Hashable {
        case profile(String)
        case ssoSession(String)
    }

    /// The profile or `sso-session` a section header names, or `nil` for other sections.
    private static func section(_ header: Substring, kind: Kind) -> Section? {
        let header = header.trimmingCharacters(in: .whitespaces)
        switch kind {
        case .credentials:
            return .profile(header)
        case .config:
            if header == "default" { return .profile(header) }
            let words = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard words.count == 2 else { return nil }
            let name = words[1].trimmingCharacters(in: .whitespaces)
            switch words[0] {
            case "profile": return .profile(name)
            case "sso-session": return .ssoSession(name)
            default: return nil
            }
        }
    }

    /// The non-empty value of `key` in `profile`, or `nil`.
    func value(_ key: String, profile: String) -> String? {
        guard let value = profiles[profile]?[key], !value.isEmpty else { return nil }
        return value
    }
}
