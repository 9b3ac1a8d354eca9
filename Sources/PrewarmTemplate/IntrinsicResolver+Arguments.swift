import Foundation

// Checking the arguments of an intrinsic function.
extension IntrinsicResolver {
    func arguments(_ node: TemplateNode, of function: String, count: Int) throws -> [TemplateNode] {
        guard let items = node.sequence, items.count == count else {
            throw TemplateError(
                .intrinsic,
                "\(function) needs a list of \(count) item\(count == 1 ? "" : "s"), not \(node.shapeDescription)",
                at: node.location)
        }
        return items
    }

    /// A plain string written in the template (not computed), as `Ref` and `Condition` require.
    func literal(_ node: TemplateNode, of function: String) throws -> String {
        guard let text = node.scalar else {
            throw TemplateError(
                .intrinsic, "\(function) needs a name written as a plain string, not \(node.shapeDescription)",
                at: node.location)
        }
        return text
    }

    func string(_ node: TemplateNode, of function: String) throws -> String {
        let value = try resolve(node)
        return try text(of: value, in: function, at: node.location)
    }

    func list(_ node: TemplateNode, of function: String) throws -> [ResolvedValue] {
        let value = try resolve(node)
        guard case .list(let items) = value else {
            throw TemplateError(
                .intrinsic, "\(function) needs a list, not \(value.shapeDescription)", at: node.location)
        }
        return items
    }

    func text(of value: ResolvedValue, in function: String, at location: SourceLocation) throws -> String {
        switch value {
        case .string(let text):
            return text
        case .resource(let id):
            throw TemplateError(
                .intrinsic, "\(function): resource \(id) has no value before the stack is deployed", at: location,
                hint: "use a parameter with a default (or \(TemplateInput.parameterOverrides)) for this value")
        case .deployTime(let what):
            throw TemplateError(
                .intrinsic, "\(function): \(what) is only known after deployment", at: location,
                hint: "use a parameter with a default (or \(TemplateInput.parameterOverrides)) for this value")
        default:
            throw TemplateError(.intrinsic, "\(function) needs a string, not \(value.shapeDescription)", at: location)
        }
    }
}
