/// Stand-in base images: small images under the names of real Lambda bases (no runtime, so they
/// cannot run a handler), such as the quickstart's. They may build images, but never under a name
/// `sam local` looks up where a later real build would take them for the real thing.
public enum StandIn {
    /// The label that marks a stand-in base in its image configuration (and so every image built on
    /// it, which inherits the base's labels).
    public static let label = "dev.prewarm.stand-in"

    /// The diff IDs of the layers of `examples/quickstart/bases/` (made by its `make-bases.py`): the
    /// x86_64 and the arm64 stand-in for `public.ecr.aws/lambda/python:3.12-*`, each one layer (a marker
    /// file and Lambda's directories). Earlier versions of prewarm stored these bases, unlabelled, in the
    /// default OCI store and in Docker engines under the real names; every image built on one has its layer.
    public static let quickstartDiffIDs: Set<String> = [
        "sha256:94ff3406b2e661bd9d2f3f80e4cbdd8e40dd13d2e5814b8d88751cab5baf0480",
        "sha256:a2037b956862cac1a56e804a41086e8a83f3d5abc93ca86cfc8c39cd616720e6",
    ]

    /// The file that marks an emulator directory (`aws-lambda-rie-x86_64`, `-arm64`) as holding stand-ins.
    public static let emulatorMarker = "STAND-IN"

    /// Whether an image with these labels and layer diff IDs is a stand-in, or built on one.
    public static func marks(labels: [String: String], diffIDs: [String]) -> Bool {
        labels[label] != nil || diffIDs.contains(where: quickstartDiffIDs.contains)
    }
}

extension EngineImage {
    /// Whether this image is a stand-in base, or built on one (``StandIn``).
    public var isStandIn: Bool { StandIn.marks(labels: labels, diffIDs: diffIDs) }
}
