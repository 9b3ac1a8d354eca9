import Foundation
import TOMLKit

/// A value of a `samconfig.toml` parameter, as SAM CLI reads it.
public enum SAMConfigValue: Sendable, Hashable {
    case string(String)
    case bool(Bool)
    case number(Double)
    /// A TOML array; SAM CLI joins the items of a multi-value option (`parameter_overrides`, `invoke_image`).
    case list([String])

    /// The value as a list of strings: a string is one item, a list its items; `nil` for a bool or number.
    public var strings: [String]? {
        switch self {
        case .string(let text): [text]
        case .list(let items): items
        case .bool, .number: nil
        }
    }

    /// A string value's text; `nil` for any other value.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// A bool value; `nil` for any other value.
    public var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}

/// What went wrong with a SAM configuration file.
public struct SAMConfigError: Error, Sendable, CustomStringConvertible {
    /// Kinds of failure; a struct over a private enum so that codes can be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String { case unreadable, syntax, unsupported }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// The file is missing or cannot be read.
        public static let unreadable = Code(.unreadable)
        /// The file is not TOML.
        public static let syntax = Code(.syntax)
        /// A `.yaml`/`.yml` configuration, which prewarm does not read.
        public static let unsupported = Code(.unsupported)
        public var description: String { value.rawValue }
    }
    public var code: Code
    /// What failed and where, and what to do.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// A SAM CLI configuration file (`samconfig.toml`), read as SAM CLI 1.170 reads it
/// (`samcli/lib/config/samconfig.py`): environments (`default`, or `--config-env`) holding one table per
/// command (`local_invoke`, `local_start_api`, `local_start_lambda`, `global`, …), each with a
/// `parameters` table whose keys are the command's flags with `_` for `-`. A command's own parameters
/// win over `global`'s.
public struct SAMConfig: Sendable {
    /// The file it was read from.
    public var path: String
    /// Environment name → command key → parameter → value.
    public var environments: [String: [String: [String: SAMConfigValue]]]

    public init(path: String, environments: [String: [String: [String: SAMConfigValue]]]) {
        self.path = path
        self.environments = environments
    }

    /// The command keys `sam local invoke`, `sam local start-api` and `sam local start-lambda` read.
    public static let localCommands = ["local_invoke", "local_start_api", "local_start_lambda"]

    /// Reads the file at `path`.
    ///
    /// - Throws: ``SAMConfigError``: `.unreadable` when it is missing or not UTF-8, `.syntax` when it is
    ///   not TOML (with the line), `.unsupported` for a YAML configuration.
    public static func load(contentsOf path: String) throws -> SAMConfig {
        if path.hasSuffix(".yaml") || path.hasSuffix(".yml") {
            throw SAMConfigError(
                .unsupported, "\(path): prewarm reads samconfig.toml only; convert the YAML configuration to TOML")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SAMConfigError(.unreadable, "\(path): no such SAM configuration file, or it cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SAMConfigError(.unreadable, "\(path): is not UTF-8 text")
        }
        return try SAMConfig(parsing: text, path: path)
    }

    /// Parses TOML text; `path` is used only in messages.
    ///
    /// - Throws: ``SAMConfigError`` `.syntax` when the text is not TOML.
    public init(parsing text: String, path: String) throws {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw SAMConfigError(
                .syntax, "\(path):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
        }
        var environments: [String: [String: [String: SAMConfigValue]]] = [:]
        for environment in table.keys {
            // `version = 0.1` and any other top-level value is not an environment.
            guard let commands = table[environment]?.table else { continue }
            var byCommand: [String: [String: SAMConfigValue]] = [:]
            for command in commands.keys {
                guard let parameters = commands[command]?.table?["parameters"]?.table else { continue }
                var values: [String: SAMConfigValue] = [:]
                for key in parameters.keys {
                    if let value = parameters[key].flatMap(Self.value) { values[key] = value }
                }
                byCommand[command] = values
            }
            environments[environment] = byCommand
        }
        self.path = path
        self.environments = environments
    }

    private static func value(_ node: TOMLValueConvertible) -> SAMConfigValue? {
        switch node.type {
        case .string: node.string.map(SAMConfigValue.string)
        case .bool: node.bool.map(SAMConfigValue.bool)
        case .int: node.int.map { .number(Double($0)) }
        case .double: node.double.map(SAMConfigValue.number)
        case .array:
            node.array.map { array in .list(array.compactMap { $0.string ?? $0.int.map(String.init) }) }
        default: nil
        }
    }

    /// The parameters `command` (a key such as `local_invoke`) gets in `environment`: `global`'s, then the
    /// command's own over them, as SAM CLI merges them. Empty when the environment or command is absent.
    public func parameters(for command: String, environment: String = "default") -> [String: SAMConfigValue] {
        let commands = environments[environment] ?? [:]
        var merged = commands["global"] ?? [:]
        for (key, value) in commands[command] ?? [:] { merged[key] = value }
        return merged
    }

    /// Whether the file has the environment `environment` at all.
    public func hasEnvironment(_ environment: String) -> Bool {
        environments[environment] != nil
    }
}
