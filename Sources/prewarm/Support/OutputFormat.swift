import ArgumentParser

/// `--format`, the same for every command that prints a result: `text` for people, `json` for
/// programs, and for `prewarm plan` also `dot` (Graphviz).
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, dot

    /// Refuses `dot` for a command that has no graph to draw.
    func requireTextOrJSON() throws {
        if self == .dot { throw ValidationError("--format dot draws the build graph (prewarm plan); use text or json") }
    }
}
