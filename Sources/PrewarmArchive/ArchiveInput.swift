import PrewarmSupport

/// What a caller of PrewarmArchive chose that its messages can tell the reader to change.
public enum ArchiveInput: MessageInput, CaseIterable {
    /// The most a zip may expand to (`ZipExtractor`'s `maxExpandedSize`).
    case maxExpandedSize

    /// Named as a build configures it (`maxLayerSize`).
    public var mention: String {
        switch self {
        case .maxExpandedSize: "`maxLayerSize`"
        }
    }
}
