import Foundation

extension TemplateLoader {
    /// The names a template is looked for under when none is given, in order, as SAM CLI does.
    public static let defaultFileNames = ["template.yaml", "template.yml", "template.json"]

    /// The template to read: `path` when given, else the first of `defaultFileNames` in `directory`
    /// (relative to it, as given, when `directory` is the current one).
    ///
    /// - Throws: `TemplateError` with code `.fileNotFound` when no path is given and `directory` holds
    ///   none of the default names.
    public static func locate(_ path: String?, in directory: String? = nil) throws -> String {
        if let path { return path }
        for name in defaultFileNames {
            let candidate = directory.map { URL(fileURLWithPath: $0).appendingPathComponent(name).path } ?? name
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        throw TemplateError(
            .fileNotFound,
            "no template given and no template.yaml, template.yml or template.json in "
                + (directory ?? "the current directory"))
    }
}
