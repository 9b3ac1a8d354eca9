import Foundation
import PrewarmHTTP
import PrewarmSupport

extension DockerEngine {
    /// Writes SAM CLI's context for `request` (``SAMDockerfileContext``) under its work directory and builds
    /// it with ``buildAsSAM(name:contextPath:platform:output:)``; the context is removed when done.
    public func buildAsSAM(_ request: SAMImageBuildRequest, output: @escaping @Sendable (String) -> Void)
        async throws -> EngineImage
    {
        let contextPath =
            URL(fileURLWithPath: request.workDirectory).appendingPathComponent("sam-context-\(UUID().uuidString).tar")
            .path
        defer { try? FileManager.default.removeItem(atPath: contextPath) }
        try SAMDockerfileContext(
            baseImage: request.baseImage, emulatorDirectory: request.emulatorDirectory,
            architecture: request.architecture
        ).write(to: contextPath)
        return try await buildAsSAM(
            name: request.name, contextPath: contextPath, platform: request.platform.description, output: output)
    }

    /// Builds `name` from the context `SAMDockerfileContext` wrote, as SAM CLI sends it: the classic builder
    /// (`POST /build` without `version=2`), `rm=1`, the platform, no pull, no labels, so that the result
    /// and each step are what SAM's own build of that context will find in the builder's cache.
    ///
    /// - Returns: the image.
    /// - Throws: `EngineError` `.buildFailed` when the engine reports an error (a `RUN` step needs a
    ///   runnable base), `.engineUnavailable` when it cannot be reached.
    public func buildAsSAM(
        name: String, contextPath: String, platform: String, output: @escaping @Sendable (String) -> Void
    ) async throws -> EngineImage {
        let query = ["t=\(Self.escape(name))", "platform=\(Self.escape(platform))", "pull=0", "rm=1"]
            .joined(separator: "&")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-tar")
        let response = try await stream(
            HTTPRequest(method: .post, url: url("/build?\(query)"), headers: headers, body: .file(path: contextPath)),
            doing: "build \(name) as SAM CLI does")
        if let failure = try await Self.drain(response.body, output: output) {
            throw EngineError(
                .buildFailed, "building \(name) with SAM CLI's Dockerfile failed in the engine: \(failure)")
        }
        guard let image = try await image(named: name) else {
            throw EngineError(.buildFailed, "the engine reported building \(name) but has no image of that name")
        }
        return image
    }
}
