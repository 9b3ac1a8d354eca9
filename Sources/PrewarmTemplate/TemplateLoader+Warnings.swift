extension TemplateLoader {
    /// How many missing-code warnings are said one by one; the rest are counted in one more.
    static let missingCodeShown = 5

    /// A template whose code is not there at all (not built yet, or checked out without it) gets a few
    /// missing-code warnings and a count, not one per function: past ``missingCodeShown``, the others
    /// are replaced by one that counts them, where the last one shown was.
    static func countMissingCode(in warnings: inout [TemplateError], path: String) {
        let missing = warnings.indices.filter { warnings[$0].code == .missingCode }
        guard missing.count > missingCodeShown else { return }
        for index in missing.dropFirst(missingCodeShown).reversed() { warnings.remove(at: index) }
        warnings.insert(
            TemplateError(
                .missingCode, "and \(missing.count - missingCodeShown) more function(s) whose code does not exist",
                at: SourceLocation(file: path), hint: "run sam build first if it makes it"),
            at: missing[missingCodeShown - 1] + 1)
    }
}
