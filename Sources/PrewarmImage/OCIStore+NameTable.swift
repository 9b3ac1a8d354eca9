import PrewarmOCI

// The names of a store in memory: the table `index.json` and the names log make, and the log's lines.

/// One line of the names log: `name` now names `entry`, or nothing when `entry` is `nil`.
struct NameChange: Codable, Sendable {
    var name: String
    var entry: OCIDescriptor?
}

/// The names of a store, by name, and the entries of `index.json` that have none.
struct NameTable: Sendable {
    private var byName: [String: OCIDescriptor] = [:]
    private var namesByDigest: [String: Set<String>] = [:]
    private var namesByRepository: [String: Set<String>] = [:]
    private var unnamed: [OCIDescriptor] = []

    init() {}

    init(_ index: OCIIndex) {
        for entry in index.manifests {
            if let name = OCIStore.name(of: entry) {
                apply(NameChange(name: name, entry: entry))
            } else {
                unnamed.append(entry)
            }
        }
    }

    var count: Int { byName.count }

    func entry(named name: String) -> OCIDescriptor? { byName[name] }

    /// The names that name the manifest or index `digest`, sorted.
    func names(of digest: String) -> [String] { (namesByDigest[digest] ?? []).sorted() }

    var allNames: [String] { byName.keys.sorted() }

    /// The names `repository:tag` of `repository`, sorted.
    func names(inRepository repository: String) -> [String] { (namesByRepository[repository] ?? []).sorted() }

    /// `repository` of `repository:tag` (the name up to its last colon after any slash).
    private static func repository(of name: String) -> String? {
        guard let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") else { return nil }
        return String(name[..<colon])
    }

    mutating func apply(_ change: NameChange) {
        let repository = Self.repository(of: change.name)
        if let old = byName[change.name] {
            namesByDigest[old.digest]?.remove(change.name)
            if namesByDigest[old.digest]?.isEmpty == true { namesByDigest[old.digest] = nil }
            if let repository {
                namesByRepository[repository]?.remove(change.name)
                if namesByRepository[repository]?.isEmpty == true { namesByRepository[repository] = nil }
            }
        }
        byName[change.name] = change.entry
        if let entry = change.entry {
            namesByDigest[entry.digest, default: []].insert(change.name)
            if let repository { namesByRepository[repository, default: []].insert(change.name) }
        }
    }

    /// As `index.json` holds them: the unnamed entries first, then by name.
    var index: OCIIndex {
        OCIIndex(manifests: unnamed + byName.sorted { $0.key < $1.key }.map(\.value))
    }
}

/// The names as a store object read them last, with where it stopped in each file.
struct CachedNames: Sendable {
    var indexKey: FileKey
    var logInode: UInt64?
    var logOffset: UInt64 = 0
    var logLines = 0
    var table: NameTable

    mutating func apply(_ read: (changes: [NameChange], end: UInt64)) {
        guard !read.changes.isEmpty || read.end != logOffset else { return }
        for change in read.changes { table.apply(change) }
        logLines += read.changes.count
        logOffset = read.end
    }
}
