import Foundation
import TOMLKit

extension SAMConfig {
    /// A `samconfig.toml` document: `version = 0.1` and, in `environment`, the same `parameters` for each
    /// of `commands`, after `header` (each line becomes a `#` comment). Keys come out sorted, so the same
    /// values always give the same bytes.
    public static func render(
        header: [String], environment: String = "default", commands: [String] = SAMConfig.localCommands,
        parameters: [String: SAMConfigValue]
    ) -> String {
        let root = TOMLTable()
        root["version"] = 0.1
        let environmentTable = TOMLTable()
        for command in commands {
            let values = TOMLTable()
            for (key, value) in parameters {
                switch value {
                case .string(let text): values[key] = text
                case .bool(let flag): values[key] = flag
                case .number(let number): values[key] = number
                case .list(let items): values[key] = TOMLArray(items)
                }
            }
            let commandTable = TOMLTable()
            commandTable["parameters"] = values
            environmentTable[command] = commandTable
        }
        root[environment] = environmentTable
        let comments = header.map { $0.isEmpty ? "#" : "# \($0)" }.joined(separator: "\n")
        // toml++ writes the double 0.1 with all its digits; SAM CLI reads either as 0.1.
        let body = root.convert(to: .toml).replacingOccurrences(
            of: "version = 0.10000000000000001", with: "version = 0.1")
        return comments + "\n" + body + "\n"
    }
}
