import PrewarmSupport

/// What a caller of PrewarmTemplate chose that its messages can tell the reader to change.
public enum TemplateInput: MessageInput, CaseIterable {
    /// The values given to the template's parameters.
    case parameterOverrides
    /// Whether `AWS::LanguageExtensions` (`Fn::ForEach`, …) are expanded.
    case languageExtensions

    /// Named as a build configures it (`parameterOverrides`, `languageExtensions`).
    public var mention: String {
        switch self {
        case .parameterOverrides: "`parameterOverrides`"
        case .languageExtensions: "`languageExtensions`"
        }
    }
}
