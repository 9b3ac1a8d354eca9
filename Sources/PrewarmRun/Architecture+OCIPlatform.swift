import PrewarmOCI
import PrewarmPlan

extension Architecture {
    /// The OCI platform of a Lambda function on this architecture: `linux/amd64` or
    /// `linux/arm64`, typed, for engines, registries and build caches. (The plan, which knows
    /// nothing of OCI, writes the same platform as text in `platform`.)
    package var ociPlatform: OCIPlatform {
        OCIPlatform(os: "linux", architecture: ociArchitecture)
    }
}
