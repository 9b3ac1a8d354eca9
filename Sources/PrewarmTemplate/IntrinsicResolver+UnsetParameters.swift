import Foundation
import PrewarmSupport

extension IntrinsicResolver {
    /// The properties of a function that decide its image, where an unset parameter is an error.
    static let imageProperties = ["Runtime", "Architectures", "Layers", "PackageType", "ImageUri", "CodeUri", "Code"]

    /// `error` about an unset parameter, made to name every unset parameter that the image properties of
    /// `properties` (a resource's) refer to, with `Ref` or in `Fn::Sub`: the resolver stops at the first, and
    /// a user who sets only that one would meet the next on the next run. `error` itself when it is about
    /// something else, or names the only one.
    func namingEveryUnsetParameter(_ error: TemplateError, in properties: TemplateNode?) -> TemplateError {
        guard error.code == .parameter, !unsetParameters.isEmpty, let properties else { return error }
        var names: [String] = []
        for key in Self.imageProperties {
            if let node = properties[key] { collectUnset(in: node, into: &names) }
        }
        guard names.count > 1 else { return error }
        let unset = names.compactMap { name in unsetParameters[name].map { (name, $0) } }
        // "pass `parameterOverrides` A=VALUE" for each: one flag with every value.
        var values: [String] = []
        var otherHints: [Message] = []
        for (_, parameter) in unset {
            if let override = parameter.override {
                values.append(override)
            } else if let hint = parameter.hint, !otherHints.contains(hint) {
                otherHints.append(hint)
            }
        }
        var hints = otherHints
        if !values.isEmpty {
            let value = values.count == 1 ? values[0] : "'\(values.joined(separator: " "))'"
            hints.insert("pass \(TemplateInput.parameterOverrides) \(value)", at: 0)
        }
        return TemplateError(
            .parameter, unset.map(\.1.problem).joined(separator: "; "), at: error.location,
            hint: hints.isEmpty ? nil : hints.joined(separator: "; "))
    }

    /// The unset parameters `node` refers to, in order, each once.
    private func collectUnset(in node: TemplateNode, into names: inout [String]) {
        func add(_ name: String) {
            if unsetParameters[name] != nil, parameters[name] == nil, !names.contains(name) { names.append(name) }
        }
        switch node.value {
        case .null, .scalar: return
        case .sequence(let items): for item in items { collectUnset(in: item, into: &names) }
        case .mapping(let mapping):
            if mapping.count == 1, let name = node["Ref"]?.scalar { add(name) }
            if mapping.count == 1, let sub = node["Fn::Sub"] {
                let text = sub.scalar ?? sub.sequence?.first?.scalar ?? ""
                var rest = Substring(text)
                while let open = rest.range(of: "${") {
                    guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
                    add(String(rest[open.upperBound..<close]))
                    rest = rest[rest.index(after: close)...]
                }
            }
            for entry in mapping.entries { collectUnset(in: entry.value, into: &names) }
        }
    }
}
