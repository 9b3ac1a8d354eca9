import Foundation
import PrewarmHTTP
import PrewarmTestKit
import Testing

@testable import PrewarmOCI
@testable import PrewarmSupport

/// Pulls through a fault-injecting proxy (`Tests/Fixtures/registry/proxy.py`) in front of the real registry
/// of ci/test: every fault ends in a clean retry or one clear error, and the store never holds a blob whose
/// content does not match its name.
@Suite struct RegistryFaultTests {
    /// A pushed image, and a proxy with `options` in front of its registry.
    struct Setup {
        var directory: TemporaryDirectory
        var image: TestImage
        var proxy: FixtureServer
        /// The image's reference through the proxy.
        var reference: ImageReference
        var target: DirectoryBlobStore

        init?(_ options: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws {
            guard let registry = TestRegistry.plain(sourceLocation: sourceLocation) else { return nil }
            directory = try TemporaryDirectory("prewarm-registry-fault")
            let store = try DirectoryBlobStore(directory.path + "/source")
            image = try TestImage.make(in: store)
            let repository = TestRegistry.uniqueRepository("fault")
            try await TestRegistry.client().push(
                manifestDigest: image.manifest.digest, from: store,
                to: try ImageReference("\(registry)/\(repository):v1"))
            proxy = try await TestRegistry.proxy(registry, options, in: directory)
            reference = try ImageReference("127.0.0.1:\(proxy.listening)/\(repository):v1")
            target = try DirectoryBlobStore(directory.path + "/target")
        }

        func pull(_ client: RegistryClient = TestRegistry.client()) async throws -> RegistryPulledImage {
            try await client.pull(reference, platform: OCIPlatform(architecture: "amd64"), into: target)
        }

        func tearDown() {
            proxy.stop()
            directory.remove()
        }
    }

    @Test func a500IsRetriedAndThePullSucceeds() async throws {
        guard let setup = try await Setup(["--blob-500", "2"]) else { return }
        defer { setup.tearDown() }
        let client = TestRegistry.client()
        let pulled = try await setup.pull(client)
        #expect(pulled.manifest.digest == setup.image.manifest.digest)
        #expect(await client.statistics.retries == 2)
        #expect(try setup.target.isConsistent())
    }

    @Test func persistent500sEndInOneErrorThatNamesTheBlobAndTheStatus() async throws {
        guard let setup = try await Setup(["--blob-500", "100"]) else { return }
        defer { setup.tearDown() }
        await #expect {
            try await setup.pull()
        } throws: { error in
            let error = error as? RegistryError
            let text = error.map { "\($0)" } ?? ""
            return error?.code == .registry && text.contains("cannot download blob sha256:") && text.contains("500")
                && !text.contains("\n")
        }
        #expect(try setup.target.digests().isEmpty)
    }

    @Test func aFailedUploadStartsANewUploadSession() async throws {
        guard let registry = TestRegistry.plain() else { return }
        let directory = try TemporaryDirectory("prewarm-registry-fault")
        defer { directory.remove() }
        let proxy = try await TestRegistry.proxy(registry, ["--upload-500", "1"], in: directory)
        defer { proxy.stop() }
        let store = try DirectoryBlobStore(directory.path + "/a")
        let image = try TestImage.make(in: store)
        let reference = try ImageReference("127.0.0.1:\(proxy.listening)/\(TestRegistry.uniqueRepository("upload")):v1")
        let client = TestRegistry.client()
        try await client.push(manifestDigest: image.manifest.digest, from: store, to: reference)
        let stats = try await TestRegistry.stats(of: proxy)
        #expect(stats["POST upload"] == 3 && stats["PUT upload"] == 3, "two blobs, one of them twice: \(stats)")
        #expect(await client.statistics.blobsUploaded == 2)
        #expect(try await client.exists(reference))
    }

    @Test func aTruncatedBlobIsResumedAndVerified() async throws {
        guard let setup = try await Setup(["--truncate-blob", "1"]) else { return }
        defer { setup.tearDown() }
        let client = TestRegistry.client()
        let pulled = try await setup.pull(client)
        #expect(pulled.manifest.digest == setup.image.manifest.digest)
        #expect(await client.statistics.retries == 1)
        #expect(try setup.target.isConsistent())
        #expect(try setup.target.digests().count == 3)
    }

    @Test func aBlobWithTheWrongDigestIsRefusedAndNothingIsStored() async throws {
        guard let setup = try await Setup(["--corrupt-blob"]) else { return }
        defer { setup.tearDown() }
        await #expect {
            try await setup.pull()
        } throws: { error in
            let error = error as? RegistryError
            let message = error?.message ?? ""
            return error?.code == .digestMismatch && message.contains("nothing was stored")
                && message.contains(setup.reference.repository)
        }
        #expect(try setup.target.digests().isEmpty, "no blob, no manifest")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: setup.target.root + "/tmp")
        #expect(leftovers.isEmpty, "the temporary downloads are removed")
    }

    @Test func aManifestWhoseAnnouncedDigestDiffersIsRefused() async throws {
        guard let setup = try await Setup(["--manifest-digest-lie"]) else { return }
        defer { setup.tearDown() }
        await #expect {
            try await setup.pull()
        } throws: { error in
            (error as? RegistryError)?.code == .digestMismatch
                && ((error as? RegistryError)?.message.contains("announced sha256:0000") ?? false)
        }
        #expect(try setup.target.digests().isEmpty)
    }

    @Test func aPullByDigestChecksTheManifest() async throws {
        guard let setup = try await Setup([]) else { return }
        defer { setup.tearDown() }
        let client = TestRegistry.client()
        let pinned = setup.reference.withDigest(setup.image.manifest.digest)
        let pulled = try await client.pull(
            pinned, platform: OCIPlatform(architecture: "amd64"), into: setup.target)
        #expect(pulled.manifest.digest == setup.image.manifest.digest)
        let wrong = setup.reference.withDigest(setup.image.config.digest)
        await #expect {
            try await client.manifest(for: wrong)
        } throws: { error in
            // The registry answers 404 for a config digest asked as a manifest, or serves it: either way
            // it is not taken for a manifest.
            (error as? RegistryError)?.code == .digestMismatch || (error as? RegistryError)?.code == .registry
        }
    }

    @Test func anIndexWithoutTheRequestedPlatformSaysWhatItOffers() async throws {
        guard let registry = TestRegistry.plain() else { return }
        let directory = try TemporaryDirectory("prewarm-registry-fault")
        defer { directory.remove() }
        let store = try DirectoryBlobStore(directory.path + "/a")
        let amd64 = try TestImage.make(in: store)
        let reference = try ImageReference("\(registry)/\(TestRegistry.uniqueRepository("amd64-only")):3.12")
        let client = TestRegistry.client()
        var pushed = try await client.push(
            manifestDigest: amd64.manifest.digest, from: store, to: reference.withDigest(amd64.manifest.digest))
        pushed.platform = OCIPlatform(architecture: "amd64")
        // A Docker manifest list's media type, with an attestation-like entry that must not be offered.
        let list = OCIIndex(
            mediaType: OCIMediaType.dockerManifestList,
            manifests: [
                pushed,
                OCIDescriptor(
                    mediaType: OCIMediaType.imageManifest, digest: amd64.manifest.digest, size: amd64.manifest.size,
                    platform: OCIPlatform(os: "unknown", architecture: "unknown")),
            ])
        try await client.putManifest(
            try JSONEncoder.manifest.encode(list), mediaType: OCIMediaType.dockerManifestList, to: reference)

        let target = try DirectoryBlobStore(directory.path + "/b")
        await #expect {
            try await client.pull(reference, platform: try OCIPlatform("linux/arm64"), into: target)
        } throws: { error in
            let error = error as? RegistryError
            return error?.code == .platformNotFound
                && error?.message.hasPrefix("no linux/arm64 image in the index of \(reference); it offers linux/amd64:")
                    == true
        }
        #expect(try target.digests().isEmpty)
        let pulled = try await client.pull(reference, platform: try OCIPlatform("linux/amd64"), into: target)
        #expect(pulled.manifest.digest == amd64.manifest.digest)
    }

    @Test func aSingleManifestOfAnotherArchitectureIsRefused() async throws {
        guard let registry = TestRegistry.plain() else { return }
        let directory = try TemporaryDirectory("prewarm-registry-fault")
        defer { directory.remove() }
        let store = try DirectoryBlobStore(directory.path + "/a")
        let amd64 = try TestImage.make(in: store)
        let reference = try ImageReference("\(registry)/\(TestRegistry.uniqueRepository("single")):v1")
        let client = TestRegistry.client()
        try await client.push(manifestDigest: amd64.manifest.digest, from: store, to: reference)
        let target = try DirectoryBlobStore(directory.path + "/b")
        await #expect {
            try await client.pull(reference, platform: try OCIPlatform("linux/arm64"), into: target)
        } throws: { error in
            (error as? RegistryError)?.message.contains("is a linux/amd64 image, not linux/arm64") ?? false
        }
    }

    @Test func aMissingImageIsAMissingBase() async throws {
        guard let registry = TestRegistry.plain() else { return }
        let directory = try TemporaryDirectory("prewarm-registry-fault")
        defer { directory.remove() }
        let reference = try ImageReference("\(registry)/\(TestRegistry.uniqueRepository("absent")):v1")
        await #expect {
            try await TestRegistry.client().pull(
                reference, platform: OCIPlatform(architecture: "amd64"),
                into: try DirectoryBlobStore(directory.path + "/b"))
        } throws: { error in
            (error as? RegistryError)?.code == .missingBase
                && ((error as? RegistryError)?.message.contains("has no image \(reference)") ?? false)
        }
    }

    @Test func anUnreachableRegistryIsOneRegistryError() async throws {
        let directory = try TemporaryDirectory("prewarm-registry-fault")
        defer { directory.remove() }
        // Port 9 (discard) on loopback: nothing listens there on the test machines.
        let reference = try ImageReference("127.0.0.1:9/prewarm-test/nowhere:v1")
        await #expect {
            try await TestRegistry.client().pull(
                reference, platform: OCIPlatform(architecture: "amd64"),
                into: try DirectoryBlobStore(directory.path + "/b"))
        } throws: { error in
            let text = "\(error)"
            return (error as? RegistryError)?.code == .registry
                && text.contains("cannot get the manifest of \(reference)")
                && text.contains("could not connect")
        }
    }
}
