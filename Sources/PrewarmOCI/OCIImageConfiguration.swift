import Foundation

/// An image configuration (image-spec `config.json`, which Docker's `application/vnd.docker.container.image.v1+json`
/// shares): the platform, the container settings, the layers' diff IDs and the history.
///
/// prewarm rewrites the configuration of a base it did not write (new labels, diff IDs and history), so
/// every field this type does not name is kept as read in `otherFields` (and each part's own), and written
/// back: the base's settings survive untouched. A field that is `null` reads as absent and is not written.
public struct OCIImageConfiguration: Codable, Sendable, Hashable {
    /// When the image was made (RFC 3339).
    public var created: String?
    public var author: String?
    /// `amd64`, `arm64`, …; empty when the document names none.
    public var architecture: String
    /// `linux` when the document names none.
    public var os: String
    public var osVersion: String?
    public var osFeatures: [String]?
    public var variant: String?
    /// How a container of the image runs.
    public var config: Settings?
    public var rootfs: RootFS
    public var history: [History]?
    /// The fields of the document that this type does not name (`container_config`, `docker_version`, …).
    public var otherFields: [String: JSONValue] = [:]

    public init(
        architecture: String, os: String = "linux", variant: String? = nil, created: String? = nil,
        config: Settings? = nil, rootfs: RootFS = RootFS(diffIDs: []), history: [History]? = nil
    ) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
        self.created = created
        self.config = config
        self.rootfs = rootfs
        self.history = history
    }

    /// The platform the image is for.
    public var platform: OCIPlatform {
        OCIPlatform(os: os, architecture: architecture, variant: variant)
    }

    /// The container settings (`config` of the document): named as in the image spec, plus Docker's `OnBuild`.
    public struct Settings: Codable, Sendable, Hashable {
        public var user: String?
        public var exposedPorts: [String: JSONValue]?
        public var env: [String]?
        public var entrypoint: [String]?
        public var cmd: [String]?
        public var volumes: [String: JSONValue]?
        public var workingDir: String?
        public var labels: [String: String]?
        public var stopSignal: String?
        public var argsEscaped: Bool?
        /// Docker's ONBUILD triggers, which no engine of prewarm's runs.
        public var onBuild: [String]?
        /// The settings this type does not name (`Healthcheck`, `Shell`, …).
        public var otherFields: [String: JSONValue] = [:]

        public init(
            env: [String]? = nil, entrypoint: [String]? = nil, workingDir: String? = nil,
            labels: [String: String]? = nil
        ) {
            self.env = env
            self.entrypoint = entrypoint
            self.workingDir = workingDir
            self.labels = labels
        }

        private static let names: Set<String> = [
            "User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal",
            "ArgsEscaped", "OnBuild",
        ]

        public init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: AnyCodingKey.self)
            user = try fields.decodeIfPresent(String.self, "User")
            exposedPorts = try fields.decodeIfPresent([String: JSONValue].self, "ExposedPorts")
            env = try fields.decodeIfPresent([String].self, "Env")
            entrypoint = try fields.decodeIfPresent([String].self, "Entrypoint")
            cmd = try fields.decodeIfPresent([String].self, "Cmd")
            volumes = try fields.decodeIfPresent([String: JSONValue].self, "Volumes")
            workingDir = try fields.decodeIfPresent(String.self, "WorkingDir")
            labels = try fields.decodeIfPresent([String: String].self, "Labels")
            stopSignal = try fields.decodeIfPresent(String.self, "StopSignal")
            argsEscaped = try fields.decodeIfPresent(Bool.self, "ArgsEscaped")
            onBuild = try fields.decodeIfPresent([String].self, "OnBuild")
            otherFields = try fields.otherFields(than: Self.names)
        }

        public func encode(to encoder: any Encoder) throws {
            var fields = encoder.container(keyedBy: AnyCodingKey.self)
            try fields.encode(otherFields: otherFields)
            try fields.encodeIfPresent(user, "User")
            try fields.encodeIfPresent(exposedPorts, "ExposedPorts")
            try fields.encodeIfPresent(env, "Env")
            try fields.encodeIfPresent(entrypoint, "Entrypoint")
            try fields.encodeIfPresent(cmd, "Cmd")
            try fields.encodeIfPresent(volumes, "Volumes")
            try fields.encodeIfPresent(workingDir, "WorkingDir")
            try fields.encodeIfPresent(labels, "Labels")
            try fields.encodeIfPresent(stopSignal, "StopSignal")
            try fields.encodeIfPresent(argsEscaped, "ArgsEscaped")
            try fields.encodeIfPresent(onBuild, "OnBuild")
        }
    }

    /// The layers of the image's root file system, by diff ID (the digest of each layer uncompressed).
    public struct RootFS: Codable, Sendable, Hashable {
        /// Always `layers`.
        public var type: String
        public var diffIDs: [String]

        public init(type: String = "layers", diffIDs: [String]) {
            self.type = type
            self.diffIDs = diffIDs
        }

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }

        public init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: CodingKeys.self)
            type = try fields.decodeIfPresent(String.self, forKey: .type) ?? "layers"
            diffIDs = try fields.decodeIfPresent([String].self, forKey: .diffIDs) ?? []
        }
    }

    /// One step of the image's history: one per layer, and one per step that made none (`emptyLayer`).
    public struct History: Codable, Sendable, Hashable {
        public var created: String?
        public var createdBy: String?
        public var author: String?
        public var comment: String?
        public var emptyLayer: Bool?
        /// The fields this type does not name.
        public var otherFields: [String: JSONValue] = [:]

        public init(
            created: String? = nil, createdBy: String? = nil, comment: String? = nil, emptyLayer: Bool? = nil
        ) {
            self.created = created
            self.createdBy = createdBy
            self.comment = comment
            self.emptyLayer = emptyLayer
        }

        private static let names: Set<String> = ["created", "created_by", "author", "comment", "empty_layer"]

        public init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: AnyCodingKey.self)
            created = try fields.decodeIfPresent(String.self, "created")
            createdBy = try fields.decodeIfPresent(String.self, "created_by")
            author = try fields.decodeIfPresent(String.self, "author")
            comment = try fields.decodeIfPresent(String.self, "comment")
            emptyLayer = try fields.decodeIfPresent(Bool.self, "empty_layer")
            otherFields = try fields.otherFields(than: Self.names)
        }

        public func encode(to encoder: any Encoder) throws {
            var fields = encoder.container(keyedBy: AnyCodingKey.self)
            try fields.encode(otherFields: otherFields)
            try fields.encodeIfPresent(created, "created")
            try fields.encodeIfPresent(createdBy, "created_by")
            try fields.encodeIfPresent(author, "author")
            try fields.encodeIfPresent(comment, "comment")
            try fields.encodeIfPresent(emptyLayer, "empty_layer")
        }
    }

    private static let names: Set<String> = [
        "created", "author", "architecture", "os", "os.version", "os.features", "variant", "config", "rootfs",
        "history",
    ]

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: AnyCodingKey.self)
        created = try fields.decodeIfPresent(String.self, "created")
        author = try fields.decodeIfPresent(String.self, "author")
        architecture = try fields.decodeIfPresent(String.self, "architecture") ?? ""
        os = try fields.decodeIfPresent(String.self, "os") ?? "linux"
        osVersion = try fields.decodeIfPresent(String.self, "os.version")
        osFeatures = try fields.decodeIfPresent([String].self, "os.features")
        variant = try fields.decodeIfPresent(String.self, "variant")
        config = try fields.decodeIfPresent(Settings.self, "config")
        rootfs = try fields.decodeIfPresent(RootFS.self, "rootfs") ?? RootFS(diffIDs: [])
        history = try fields.decodeIfPresent([History].self, "history")
        otherFields = try fields.otherFields(than: Self.names)
    }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: AnyCodingKey.self)
        try fields.encode(otherFields: otherFields)
        try fields.encodeIfPresent(created, "created")
        try fields.encodeIfPresent(author, "author")
        try fields.encodeIfPresent(architecture, "architecture")
        try fields.encodeIfPresent(os, "os")
        try fields.encodeIfPresent(osVersion, "os.version")
        try fields.encodeIfPresent(osFeatures, "os.features")
        try fields.encodeIfPresent(variant, "variant")
        try fields.encodeIfPresent(config, "config")
        try fields.encodeIfPresent(rootfs, "rootfs")
        try fields.encodeIfPresent(history, "history")
    }
}

/// The `oci-layout` file of an image layout: the layout's version.
public struct OCILayout: Codable, Sendable, Hashable {
    /// `1.0.0`, the only version there is.
    public var imageLayoutVersion: String

    public init(imageLayoutVersion: String = "1.0.0") {
        self.imageLayoutVersion = imageLayoutVersion
    }
}
