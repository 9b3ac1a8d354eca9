// Builds N distinct images into one OCI store through `OCIStore` itself (no planner, scheduler or
// journal), for Benchmarks/oci-scale/run.sh: the store's own cost per image as it fills.
//
// Usage: OCIScaleBench STORE BASE_TAR APP_DIR N JOBS
//   APP_DIR as Benchmarks/oci-scale/app.py writes it (rie/aws-lambda-rie-x86_64, layers/<i>a, <i>b).
// Prints `images=N seconds=S ms_per_image=M` (the time after the base is imported).
import Foundation
import PrewarmImage
import PrewarmOCI

let arguments = CommandLine.arguments
guard arguments.count == 6, let count = Int(arguments[4]), let jobs = Int(arguments[5]), count > 0, jobs > 0 else {
    FileHandle.standardError.write(Data("usage: OCIScaleBench STORE BASE_TAR APP_DIR N JOBS\n".utf8))
    exit(64)
}
let (storePath, baseArchive, app) = (arguments[1], arguments[2], arguments[3])
let base = "public.ecr.aws/lambda/python:3.12-x86_64"
do {
    let store = try OCIStore(path: storePath)
    defer { store.close() }
    _ = try store.importArchive(path: baseArchive)
    let emulator = ImageBuildRequest.Source(path: app + "/rie/aws-lambda-rie-x86_64")
    @Sendable func request(_ index: Int) -> ImageBuildRequest {
        ImageBuildRequest(
            name: "fn\(index):rapid-x86_64", baseImage: base, platform: OCIPlatform(architecture: "amd64"),
            emulator: emulator,
            layers: ["a", "b"].map { ImageBuildRequest.Source(path: app + "/layers/\(index)\($0)") },
            labels: ["dev.prewarm.content-key": "key-\(index)"])
    }
    /// What `prewarm build` asks of its engine per image: the up-to-date check, the build, the
    /// names of the repository (for stale rapid images).
    @Sendable func work(_ index: Int) async throws {
        if try await store.image(named: "fn\(index):rapid-x86_64") == nil {
            _ = try await store.build(request(index)) { _ in }
        }
        _ = try await store.names(inRepository: "fn\(index)")
    }
    let clock = ContinuousClock()
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        while next < min(jobs, count) {
            let index = next
            group.addTask { try await work(index) }
            next += 1
        }
        while try await group.next() != nil {
            guard next < count else { continue }
            let index = next
            group.addTask { try await work(index) }
            next += 1
        }
    }
    let elapsed = (clock.now - start).components
    let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    print(String(format: "images=%d seconds=%.2f ms_per_image=%.2f", count, seconds, seconds * 1000 / Double(count)))
} catch {
    FileHandle.standardError.write(Data("OCIScaleBench: \(error)\n".utf8))
    exit(1)
}
