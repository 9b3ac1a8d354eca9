import Foundation

// `Fn::Sub` in one linear pass, and the values it substitutes.
extension IntrinsicResolver {
    func substitute(_ argument: TemplateNode) throws -> String {
        let template: TemplateNode
        var variables: [String: ResolvedValue] = [:]
        if argument.scalar != nil {
            template = argument
        } else {
            guard let items = argument.sequence, items.count == 2, let names = items[1].mapping else {
                throw TemplateError(
                    .intrinsic, "Fn::Sub needs a string or [String, {Name: Value, …}]", at: argument.location)
            }
            template = items[0]
            for entry in names.entries { variables[entry.key] = try resolve(entry.value) }
        }
        guard let text = template.scalar else {
            throw TemplateError(.intrinsic, "Fn::Sub needs a string to substitute into", at: template.location)
        }
        // One pass over the bytes: `${` `}` and `!` are ASCII, so every index found is also a
        // character boundary of `text`.
        let bytes = text.utf8
        var output = ""
        output.reserveCapacity(bytes.count)
        var copied = bytes.startIndex
        var position = bytes.startIndex
        while let dollar = bytes[position...].firstIndex(of: UInt8(ascii: "$")) {
            let open = bytes.index(after: dollar)
            guard open < bytes.endIndex, bytes[open] == UInt8(ascii: "{") else {
                position = open
                continue
            }
            output += text[copied..<dollar]
            let nameStart = bytes.index(after: open)
            if nameStart < bytes.endIndex, bytes[nameStart] == UInt8(ascii: "!") {
                output += "${"
                position = bytes.index(after: nameStart)
                copied = position
                continue
            }
            guard let close = bytes[nameStart...].firstIndex(of: UInt8(ascii: "}")) else {
                throw TemplateError(
                    .intrinsic, "Fn::Sub: '${' without a closing '}' in '\(Self.excerpt(text, from: dollar))'",
                    at: template.location)
            }
            let name = text[nameStart..<close].trimmingCharacters(in: .whitespaces)
            position = bytes.index(after: close)
            copied = position
            output += try self.text(
                of: try subValue(name, variables: variables, at: template.location), in: "Fn::Sub ${\(name)}",
                at: template.location)
            try Self.requireShortEnough(output.utf8.count, "Fn::Sub", at: template.location)
        }
        output += text[copied...]
        return output
    }

    /// The value of `${name}` in an `Fn::Sub`.
    func subValue(_ name: String, variables: [String: ResolvedValue], at location: SourceLocation) throws
        -> ResolvedValue
    {
        if let variable = variables[name] { return variable }
        if let parameter = parameters[name] ?? Self.pseudoParameters[name] { return parameter.resolved }
        if resourceTypes[name] != nil { return .resource(name) }
        if let unset = unsetParameters[name] { return try value(of: unset, named: name, at: location) }
        if let dot = name.firstIndex(of: "."), resourceTypes[String(name[..<dot])] != nil {
            return try attribute(String(name[..<dot]), String(name[name.index(after: dot)...]), at: location)
        }
        throw TemplateError(
            .intrinsic, "Fn::Sub: '${\(name)}' names no parameter, resource or variable",
            at: location, hint: "declare it under Parameters, or write ${!\(name)} for a literal")
    }

    static func requireShortEnough(_ length: Int, _ function: String, at location: SourceLocation) throws {
        guard length > maximumStringLength else { return }
        throw TemplateError(
            .intrinsic, "\(function) makes a string longer than \(maximumStringLength >> 20) MB", at: location,
            hint: "no property needs a value this long; check what the parameters it uses hold")
    }

    /// Up to 60 characters of `text` from `index`, for an error message about a long string.
    static func excerpt(_ text: String, from index: String.Index) -> String {
        let rest = text[index...]
        return rest.count > 60 ? rest.prefix(60) + "…" : String(rest)
    }

    /// `Fn::ToJsonString`'s text: compact JSON, as CloudFormation writes it.
    static func json(_ value: ResolvedValue, at location: SourceLocation) throws -> String {
        switch value {
        case .string(let text):
            return quoted(text)
        case .list(let items):
            return "[" + (try items.map { try json($0, at: location) }).joined(separator: ",") + "]"
        case .mapping(let fields):
            let pairs = try fields.keys.sorted().map { key in
                "\(quoted(key)):\(try json(fields[key] ?? .null, at: location))"
            }
            return "{" + pairs.joined(separator: ",") + "}"
        case .null, .noValue:
            return "null"
        case .resource, .deployTime:
            throw TemplateError(
                .intrinsic, "Fn::ToJsonString of \(value.shapeDescription), which has no value before deployment",
                at: location)
        }
    }

    static func quoted(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20: output += String(format: "\\u%04x", scalar.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }
}
