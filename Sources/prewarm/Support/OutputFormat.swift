import ArgumentParser

/// `--format` of `prewarm plan`: `text` for people, `json` for programs, `dot` for Graphviz.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, dot
}

/// `--format` of the commands that print a report but no graph (`runs`, `status`, `doctor`): `text` for
/// people, `json` for programs. Its own type, so that their `--help` lists only what they take.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
