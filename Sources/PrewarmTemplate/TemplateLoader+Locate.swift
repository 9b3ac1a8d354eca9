import Foundation

/// Where a command's template is, found as SAM CLI 1.170's local commands find theirs
/// (`template_click_option` and `get_or_default_template_file_name(…, include_build=True)` in
/// `samcli/commands/_utils/options.py`): the template given on the command line, else
/// `$SAM_TEMPLATE_FILE`, else the SAM configuration's `template_file` / `template`, else the first that
/// exists of `.aws-sam/build/template.yaml`, `template.yaml`, `template.yml`, `template.json`.
///
/// So after `sam build`, prewarm reads the built template, whose code and layers are the built ones,
/// exactly as `sam local invoke` does when it is given no template.
public struct TemplateLocation: Sendable, Hashable {
    /// Why this template was chosen.
    public enum Origin: Sendable, Hashable {
        /// Given on the command line.
        case given
        /// `$SAM_TEMPLATE_FILE`, SAM CLI's environment variable for `--template-file`.
        case environment
        /// `template_file` (or `template`) of the SAM configuration file at this path.
        case samConfig(String)
        /// The first of ``searchOrder`` that exists.
        case found
    }

    /// The template built by `sam build`, relative to the project directory.
    public static let builtTemplate = ".aws-sam/build/template.yaml"
    /// The names looked for when no template is given, in order, as SAM CLI's local commands do.
    public static let searchOrder = [builtTemplate, "template.yaml", "template.yml", "template.json"]
    /// The environment variable SAM CLI reads for `--template-file`.
    public static let environmentVariable = "SAM_TEMPLATE_FILE"

    /// The template's path, as given or relative to the directory searched.
    public var path: String
    public var origin: Origin
    /// A template built by `sam build` from the directory of a source template that was named: what
    /// `sam local` reads when it is given no template. `nil` when the template is a built one, or when
    /// there is no build beside it.
    public var builtBeside: String?

    public init(path: String, origin: Origin, builtBeside: String? = nil) {
        self.path = path
        self.origin = origin
        self.builtBeside = builtBeside
    }

    /// Whether the template is one `sam build` wrote (it lies under a `.aws-sam/build` directory).
    public var isBuilt: Bool { Self.isBuilt(path) }

    /// Whether `path` lies under a `.aws-sam/build` directory, as `sam build`'s templates do.
    public static func isBuilt(_ path: String) -> Bool {
        let components = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        return zip(components, components.dropFirst()).contains { $0 == ".aws-sam" && $1 == "build" }
    }

    /// The directory of the project a template belongs to: for a template `sam build` wrote
    /// (`P/.aws-sam/build/…`), `P`, which outlives the next `sam build`; for any other template, its own
    /// directory. Absolute.
    public static func projectDirectory(of templatePath: String) -> String {
        let components = URL(fileURLWithPath: templatePath).standardizedFileURL.pathComponents
        for index in components.indices.dropLast() where components[index] == ".aws-sam" {
            guard components[index + 1] == "build" else { continue }
            return NSString.path(withComponents: Array(components[..<index]))
        }
        return URL(fileURLWithPath: templatePath).standardizedFileURL.deletingLastPathComponent().path
    }

    /// Finds the template.
    ///
    /// - Parameters:
    ///   - given: the path given on the command line, if any.
    ///   - environment: the process environment (for `SAM_TEMPLATE_FILE`).
    ///   - samConfig: the SAM configuration's `template_file` value and the configuration's path, if any.
    ///   - directory: where to look for the default names; `nil` for the current directory, whose
    ///     results stay relative.
    /// - Throws: `TemplateError` with code `.fileNotFound` when nothing names a template and none of
    ///   ``searchOrder`` exists.
    public static func find(
        given: String?, environment: [String: String] = [:], samConfig: (value: String, path: String)? = nil,
        in directory: String? = nil
    ) throws -> TemplateLocation {
        var location: TemplateLocation
        if let given {
            location = TemplateLocation(path: given, origin: .given)
        } else if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            location = TemplateLocation(path: fromEnvironment, origin: .environment)
        } else if let samConfig {
            location = TemplateLocation(path: samConfig.value, origin: .samConfig(samConfig.path))
        } else {
            guard
                let found = searchOrder.lazy.map({ name in
                    directory.map { URL(fileURLWithPath: $0).appendingPathComponent(name).path } ?? name
                }).first(where: { FileManager.default.fileExists(atPath: $0) })
            else {
                throw TemplateError(
                    .fileNotFound,
                    """
                    no template given and none of \(searchOrder.joined(separator: ", ")) in \
                    \(directory ?? "the current directory")
                    """,
                    hint: "give the template (prewarm build path/to/template.yaml), or run `sam build` first")
            }
            return TemplateLocation(path: found, origin: .found)
        }
        if !location.isBuilt {
            // Relative to the same directory as the path given, so that the note can be copied.
            let directory = (location.path as NSString).deletingLastPathComponent
            let beside =
                directory.isEmpty ? builtTemplate : (directory as NSString).appendingPathComponent(builtTemplate)
            if FileManager.default.fileExists(atPath: beside) { location.builtBeside = beside }
        }
        return location
    }

    /// Why this template, for people: `(built by sam build: …)`, `(from SAM_TEMPLATE_FILE)`, ….
    public var reason: String {
        switch origin {
        case .given: "(given)"
        case .environment: "(from \(Self.environmentVariable))"
        case .samConfig(let config): "(template_file of \(config))"
        case .found where isBuilt: "(built by `sam build`; sam local reads it first when no template is given)"
        case .found: "(no .aws-sam/build/template.yaml: sam local reads this one when no template is given)"
        }
    }

    /// What to say when a source template was named although `sam build` has built it; `nil` otherwise.
    public var builtBesideNote: String? {
        guard let builtBeside else { return nil }
        return "\(path) is a source template, and `sam build` has built it into \(builtBeside), which is what "
            + "sam local runs when it is given no template: to pre-warm that, use -t \(builtBeside)"
    }
}

extension TemplateLoader {
    /// The names a template is looked for under when none is given, in order, as SAM CLI's local commands
    /// do (``TemplateLocation/searchOrder``).
    public static let defaultFileNames = TemplateLocation.searchOrder

    /// The template to read: `path` when given, else the first of `defaultFileNames` in `directory`
    /// (relative to it, as given, when `directory` is the current one). `SAM_TEMPLATE_FILE` and the SAM
    /// configuration are the caller's to pass as `path` (see ``TemplateLocation/find(given:environment:samConfig:in:)``).
    ///
    /// - Throws: `TemplateError` with code `.fileNotFound` when no path is given and `directory` holds
    ///   none of the default names.
    public static func locate(_ path: String?, in directory: String? = nil) throws -> String {
        try TemplateLocation.find(given: path, in: directory).path
    }
}
