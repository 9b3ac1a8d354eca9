import Foundation
import PrewarmArchive
import PrewarmImage
import PrewarmOCI
import PrewarmSupport
import PrewarmTestKit
import Testing

/// `OCIStore`: the layout it writes (read back as JSON and by skopeo), blobs written once and
/// shared, robustness against interrupted writes and damaged blobs, gc, import and export.
@Suite struct OCIStoreTests {
    static let baseName = "public.ecr.aws/lambda/python:3.12-x86_64"

    /// A `docker save` tar of a tiny base image, made by hand: one layer (`bin/sh`, `opt/`,
    /// `var/task/`), a configuration like the Lambda bases' with the given architecture.
    static func writeBaseArchive(
        in directory: TemporaryDirectory, name: String = baseName, architecture: String = "amd64",
        wrongDiffID: Bool = false
    ) throws -> String {
        let layerPath = directory.path + "/base-layer-\(UUID().uuidString).tar"
        _ = FileManager.default.createFile(atPath: layerPath, contents: nil)
        do {
            let handle = try #require(FileHandle(forWritingAtPath: layerPath))
            defer { try? handle.close() }
            var tar = TarWriter(output: handle)
            try tar.addDirectory("bin")
            try tar.addFile("bin/sh", contents: Data("#!stand-in shell\n".utf8), mode: 0o755)
            try tar.addDirectory("opt")
            try tar.addDirectory("var")
            try tar.addDirectory("var/task")
            try tar.finish()
        }
        let layerDigest = try ContentDigest.file(layerPath)
        let diffID = wrongDiffID ? ContentDigest.text("something else") : layerDigest
        let config: [String: Any] = [
            "architecture": architecture, "os": "linux", "created": "2024-01-01T00:00:00Z",
            "config": [
                "Env": ["PATH=/usr/bin:/bin", "LAMBDA_TASK_ROOT=/var/task"], "Entrypoint": ["/lambda-entrypoint.sh"],
                "WorkingDir": "/var/task", "Labels": ["base": name],
            ],
            "rootfs": ["type": "layers", "diff_ids": [diffID]],
            "history": [["created": "2024-01-01T00:00:00Z", "created_by": "test base"]],
        ]
        let configData = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        let configName = String(ContentDigest.data(configData).dropFirst(7)) + ".json"
        let layerName = String(layerDigest.dropFirst(7)) + "/layer.tar"
        let manifest = try JSONSerialization.data(withJSONObject: [
            ["Config": configName, "RepoTags": [name], "Layers": [layerName]]
        ])
        let archive = directory.path + "/base-\(UUID().uuidString).tar"
        _ = FileManager.default.createFile(atPath: archive, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: archive))
        defer { try? handle.close() }
        var tar = TarWriter(output: handle)
        try tar.addFile("manifest.json", contents: manifest)
        try tar.addFile(configName, contents: configData)
        try tar.addDirectory(String(layerDigest.dropFirst(7)))
        try tar.addFile(layerName, from: layerPath, mode: 0o644)
        try tar.finish()
        return archive
    }

    /// An emulator and `count` layer directories of a few files each.
    static func writeSources(in directory: TemporaryDirectory, layers count: Int) throws -> (String, [String]) {
        let emulator = try directory.write("rie/aws-lambda-rie", "#!/bin/sh\necho stand-in emulator\n")
        var layers: [String] = []
        for index in 0..<count {
            try directory.write("layer\(index)/python/mod\(index).py", "value = \(index)\n")
            try directory.write("layer\(index)/shared.txt", "from layer \(index)\n")
            try directory.write("layer\(index)/bin/tool\(index)", String(repeating: "x", count: 4096 * (index + 1)))
            chmod(directory.path + "/layer\(index)/bin/tool\(index)", 0o750)
            layers.append(directory.path + "/layer\(index)")
        }
        return (emulator, layers)
    }

    static func request(
        _ name: String, emulator: String, layers: [String], base: String = baseName,
        platform: OCIPlatform = OCIPlatform(architecture: "amd64")
    ) -> ImageBuildRequest {
        ImageBuildRequest(
            name: name, baseImage: base, platform: platform,
            emulator: ImageBuildRequest.Source(path: emulator),
            layers: layers.map { ImageBuildRequest.Source(path: $0) },
            labels: ["dev.prewarm.content-key": "key-of-\(name)"])
    }

    /// Every blob in the store: digest → size.
    static func blobs(_ store: OCIStore) throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: store.path + "/blobs/sha256") {
            result["sha256:" + name] = store.blobSize("sha256:" + name)
        }
        return result
    }

    static func json(_ path: String) throws -> [String: Any] {
        let data = try #require(FileManager.default.contents(atPath: path), "\(path)")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    // MARK: - Layout

    @Test func buildWritesAValidLayoutWithOneLayerPerSource() async throws {
        let directory = try TemporaryDirectory("oci-layout")
        defer { directory.remove() }
        let store = try OCIStore(path: directory.path + "/store")
        defer { store.close() }
        #expect(try store.importArchive(path: Self.writeBaseArchive(in: directory)) == [Self.baseName])
        let (emulator, layers) = try Self.writeSources(in: directory, layers: 2)
        let name = "public.ecr.aws/lambda/python:3.12-rapid-x86_64"
        let built = try await store.build(Self.request(name, emulator: emulator, layers: layers)) { _ in }
        #expect(built.names == [name])
        #expect(built.architecture == "amd64")
        #expect(built.labels["dev.prewarm.content-key"] == "key-of-\(name)")
        #expect(built.labels["base"] == Self.baseName, "the base's labels stay")
        #expect(try await store.image(named: name) == built)

        #expect(try Self.json(store.path + "/oci-layout")["imageLayoutVersion"] as? String == "1.0.0")
        let index = try Self.json(store.path + "/index.json")
        let entries = try #require(index["manifests"] as? [[String: Any]])
        let entry = try #require(
            entries.first { ($0["annotations"] as? [String: String])?[OCIAnnotation.imageName] == name })
        #expect((entry["annotations"] as? [String: String])?[OCIAnnotation.refName] == "3.12-rapid-x86_64")
        #expect(entry["mediaType"] as? String == OCIMediaType.imageManifest)
        #expect((entry["platform"] as? [String: String])?["architecture"] == "amd64")

        let manifestDigest = try #require(entry["digest"] as? String)
        let manifest = try Self.json(store.blobPath(manifestDigest))
        let manifestLayers = try #require(manifest["layers"] as? [[String: Any]])
        #expect(manifestLayers.count == 1 + 1 + 2, "base, emulator, one per Lambda layer")
        #expect(manifestLayers.allSatisfy { $0["mediaType"] as? String == OCIMediaType.layer })
        let config = try Self.json(
            store.blobPath(try #require((manifest["config"] as? [String: Any])?["digest"] as? String)))
        #expect(
            (config["rootfs"] as? [String: Any])?["diff_ids"] as? [String]
                == manifestLayers.map { $0["digest"] as? String ?? "" })
        #expect((config["history"] as? [Any])?.count == 4)
        #expect(
            config["created"] as? String == "2024-01-01T00:00:00Z", "the base's, for a sensible age in docker images")
        #expect((config["config"] as? [String: Any])?["WorkingDir"] as? String == "/var/task")
        for layer in manifestLayers {
            let digest = try #require(layer["digest"] as? String)
            #expect(try ContentDigest.file(store.blobPath(digest)) == digest)
            #expect(store.blobSize(digest) == layer["size"] as? Int64 ?? Int64(layer["size"] as? Int ?? -1))
        }

        // The emulator layer holds exactly the emulator; a Lambda layer's holds its files under opt/.
        let listing = try await CommandRunner.run(
            "/usr/bin/tar", ["-tvf", store.blobPath(try #require(manifestLayers[1]["digest"] as? String))])
        #expect(listing.stdout.contains("var/rapid/aws-lambda-rie") && listing.stdout.contains("-rwxr-xr-x"))
        let layerListing = try await CommandRunner.run(
            "/usr/bin/tar", ["-tf", store.blobPath(try #require(manifestLayers[2]["digest"] as? String))])
        #expect(
            layerListing.stdout.split(separator: "\n").sorted() == [
                "opt/", "opt/bin/", "opt/bin/tool0", "opt/python/", "opt/python/mod0.py", "opt/shared.txt",
            ])
        #expect(try store.verify().isEmpty)
    }

    /// skopeo, an independent reader of OCI layouts, accepts the store (it finds images by the
    /// `org.opencontainers.image.ref.name` annotation, the tag).
    @Test(.enabled(if: CommandRunner.which("skopeo") != nil))
    func skopeoReadsTheStore() async throws {
        let directory = try TemporaryDirectory("oci-skopeo")
        defer { directory.remove() }
        let store = try OCIStore(path: directory.path + "/store")
        defer { store.close() }
        _ = try store.importArchive(path: Self.writeBaseArchive(in: directory))
        let (emulator, layers) = try Self.writeSources(in: directory, layers: 1)
        let built = try await store.build(Self.request("fn:tag-x86_64", emulator: emulator, layers: layers)) { _ in }
        let skopeo = try #require(CommandRunner.which("skopeo"))
        let result = try await CommandRunner.run(skopeo, ["inspect", "--config", "oci:\(store.path):tag-x86_64"])
        #expect(result.status == 0, "\(result.stderr)")
        let config = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(config["architecture"] as? String == "amd64")
        #expect(ContentDigest.text(result.stdout) == built.id || result.stdout.contains("key-of-fn:tag-x86_64"))
        // And skopeo can copy the image out, verifying every blob, into a layout of its own.
        let copy = try await CommandRunner.run(
            skopeo, ["copy", "oci:\(store.path):tag-x86_64", "oci:\(directory.path)/copy:tag-x86_64"])
        #expect(copy.status == 0, "\(copy.stderr)")
    }

    // MARK: - Written once, shared

    @Test func sharedLayersAreWrittenOnceAndASecondRunWritesNothing() async throws {
        let directory = try TemporaryDirectory("oci-shared")
        defer { directory.remove() }
        let storePath = directory.path + "/store"
        let setup = try OCIStore(path: storePath)
        defer { setup.close() }
        _ = try setup.importArchive(path: Self.writeBaseArchive(in: directory))
        _ = try setup.importArchive(
            path: Self.writeBaseArchive(
                in: directory, name: "public.ecr.aws/lambda/python:3.12-arm64", architecture: "arm64"))
        let (emulator, layers) = try Self.writeSources(in: directory, layers: 3)
        var requests: [ImageBuildRequest] = []
        for function in 0..<6 {
            for arch in ["x86_64", "arm64"] {
                requests.append(
                    Self.request(
                        "fn\(function):rapid-\(arch)", emulator: emulator,
                        layers: Array(layers[0..<(function % 3 + 1)]),
                        base: "public.ecr.aws/lambda/python:3.12-\(arch)",
                        platform: OCIPlatform(architecture: arch == "arm64" ? "arm64" : "amd64")))
            }
        }
        let before = try Self.blobs(setup)
        let store = try OCIStore(path: storePath)
        defer { store.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for request in requests { group.addTask { _ = try await store.build(request) { _ in } } }
            try await group.waitForAll()
        }
        let after = try Self.blobs(store)
        let added = after.filter { before[$0.key] == nil }
        // 1 emulator + 3 Lambda layers (shared by both architectures), 12 configs, 12 manifests.
        #expect(added.count == 4 + 12 + 12)
        #expect(store.blobBytesWritten == added.values.reduce(0, +), "every new blob written exactly once")

        let second = try OCIStore(path: storePath)
        defer { second.close() }
        for request in requests { _ = try await second.build(request) { _ in } }
        #expect(second.bytesWritten == 0, "a second run writes nothing")
        #expect(try Self.blobs(second) == after)
        #expect(try await second.names(inRepository: "fn0") == ["fn0:rapid-arm64", "fn0:rapid-x86_64"])
    }

    // MARK: - Robustness

    @Test func damagedBlobsAndLeftoversAreFoundAndNeverTrusted() async throws {
        let directory = try TemporaryDirectory("oci-damage")
        defer { directory.remove() }
        let store = try OCIStore(path: directory.path + "/store")
        defer { store.close() }
        _ = try store.importArchive(path: Self.writeBaseArchive(in: directory))
        let (emulator, layers) = try Self.writeSources(in: directory, layers: 1)
        let built = try await store.build(Self.request("fn:a", emulator: emulator, layers: layers)) { _ in }
        #expect(try store.verify().isEmpty)

        // What a kill -9 during a write leaves: a temporary file, never a blob under its name.
        let leftover = store.path + "/.tmp/killed.partial"
        _ = FileManager.default.createFile(atPath: leftover, contents: Data("half a layer".utf8))
        // A blob whose content no longer matches its name (a disk fault, a hand edit).
        let configPath = try store.blobPath(built.id)
        try Data("{\"architecture\":\"arm64\"}".utf8).write(to: URL(fileURLWithPath: configPath))

        let report = try store.verifyStore()
        #expect(report.leftovers == [leftover], "a leftover, not a problem")
        let problems = report.problems
        #expect(problems.contains { $0.path == configPath && $0.message.contains("not its name") })
        await #expect(throws: EngineError.self) { _ = try await store.image(named: "fn:a") }
        #expect(throws: EngineError.self) {
            try store.export(names: ["fn:a"], format: .docker, to: directory.path + "/x.tar")
        }

        _ = try store.verify(repair: true)
        #expect(
            !FileManager.default.fileExists(atPath: leftover) && !FileManager.default.fileExists(atPath: configPath))
        // Building again restores the configuration; the store is whole again.
        let rebuilt = try await OCIStore.withStore(path: store.path) { again in
            try await again.build(Self.request("fn:a", emulator: emulator, layers: layers)) { _ in }
        }
        #expect(rebuilt.id == built.id)
        #expect(try store.verify().isEmpty)

        // Damage of the same size: a build does not take the damaged configuration for its own.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: configPath))
        bytes[bytes.startIndex] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: configPath))
        #expect(try store.verify().count == 1)
        _ = try await OCIStore.withStore(path: store.path) { again in
            try await again.build(Self.request("fn:a", emulator: emulator, layers: layers)) { _ in }
        }
        #expect(try store.verify().isEmpty)
    }

    /// A real kill -9 of a process in the middle of a blob write, and of one rewriting
    /// `index.json`: the store holds no blob that does not match its name, `index.json` is whole,
    /// and gc removes what the killed writer left.
    @Test(arguments: ["blob", "names"])
    func aWriterKilledMidWriteLeavesNothingATrustingReaderWouldUse(_ mode: String) async throws {
        let directory = try TemporaryDirectory("oci-kill")
        defer { directory.remove() }
        let path = directory.path + "/store"
        let writer = try #require(
            Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("OCIStoreWriter"))
        try #require(FileManager.default.isExecutableFile(atPath: writer.path), "OCIStoreWriter not built")
        let output = try directory.write("writer.out", "")
        let process = Process()
        process.executableURL = writer
        process.arguments = [path, mode]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, process.isRunning,
            (try? String(contentsOfFile: output, encoding: .utf8))?.contains("writing") != true
        {
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(150))
        #expect(process.isRunning, "the writer was still writing when it was killed")
        kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }

        let found = try OCIStore.openForRepair(path: path).verifyStore()
        #expect(found.problems.isEmpty, "\(found.problems)")
        #expect(found.leftovers.allSatisfy { $0.hasPrefix(path + "/.tmp/prewarm-") }, "\(found.leftovers)")
        if mode == "blob" {
            #expect(found.leftovers.count == 1, "the killed writer's area, with its partial blob")
        }
        // Opened for use, the store removes what the killed writer left.
        let store = try OCIStore(path: path)
        defer { store.close() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: path + "/.tmp").isEmpty)
        if mode == "blob" {
            #expect(try Self.blobs(store).isEmpty, "no blob under a name")
        } else {
            #expect(try store.index().manifests.count > 0, "index.json is whole")
        }
        _ = try store.garbageCollect()
        let after = try store.verifyStore()
        #expect(after.problems.isEmpty && after.leftovers.isEmpty)
    }

    @Test func aBlobThatDoesNotMatchItsDigestIsNeverStored() throws {
        let directory = try TemporaryDirectory("oci-mismatch")
        defer { directory.remove() }
        let store = try OCIStore(path: directory.path + "/store")
        defer { store.close() }
        let wrong = ContentDigest.text("other")
        #expect(throws: EngineError.self) { try store.writeBlob(Data("content".utf8), expected: wrong) }
        #expect(throws: EngineError.self) {
            try store.writeBlob(expected: wrong) { append in try append(Data("streamed".utf8)) }
        }
        #expect(!store.hasBlob(wrong))
        #expect(try Self.blobs(store).isEmpty)
        #expect(tree(store.path + "/.tmp").filter { $0.hasSuffix(".partial") }.isEmpty, "no temporary file is left")
        // A docker save tar whose layer does not match its diff ID names nothing.
        #expect(throws: EngineError.self) {
            try store.importArchive(path: Self.writeBaseArchive(in: directory, wrongDiffID: true))
        }
        #expect(try store.index().manifests.isEmpty)
    }

    /// Two processes' worth of concurrent naming: every name survives (the index lock).
    @Test func concurrentNamingLosesNoName() async throws {
        let directory = try TemporaryDirectory("oci-names")
        defer { directory.remove() }
        let path = directory.path + "/store"
        let manifest = try await OCIStore.withStore(path: path) { store in
            try store.addManifest(Data("{}".utf8), mediaType: "application/vnd.oci.image.manifest.v1+json", names: [])
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    // A store object of its own, as another process would have.
                    try await OCIStore.withStore(path: path) { try $0.setName("img:\(index)", to: manifest) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try OCIStore(path: path).index().manifests.count == 40)
    }

    // MARK: - gc

    @Test func garbageCollectionRemovesOnlyWhatNoImageNeeds() async throws {
        let directory = try TemporaryDirectory("oci-gc")
        defer { directory.remove() }
        let store = try OCIStore(path: directory.path + "/store")
        defer { store.close() }
        _ = try store.importArchive(path: Self.writeBaseArchive(in: directory))
        let (emulator, layers) = try Self.writeSources(in: directory, layers: 2)
        let keep = try await store.build(Self.request("fn:keep", emulator: emulator, layers: [layers[0]])) { _ in }
        let before = try Self.blobs(store)
        let dropped = try await store.build(Self.request("fn:drop", emulator: emulator, layers: layers)) { _ in }
        let onlyDropped = Set(try Self.blobs(store).keys).subtracting(before.keys)
        #expect(onlyDropped.count == 3, "layer 1, a configuration and a manifest")

        // Unnamed, but within the grace period: kept.
        try await store.remove("fn:drop")
        #expect(try store.garbageCollect().removedBlobs == 0)
        let (removed, freed) = try store.garbageCollect(gracePeriod: 0)
        #expect(removed == 3)
        #expect(freed > 0)
        #expect(Set(try Self.blobs(store).keys) == Set(before.keys))
        #expect(!store.hasBlob(dropped.id))
        #expect(try await store.image(named: "fn:keep") == keep)
        #expect(try await store.image(named: Self.baseName) != nil)
        #expect(try store.verify().isEmpty)
    }

    /// A writer holding the shared lock (a build between writing its blobs and naming them)
    /// makes gc wait; once the blob is named, gc keeps it.
    @Test func garbageCollectionWaitsForAWriterThatHasNotNamedItsBlobsYet() async throws {
        let directory = try TemporaryDirectory("oci-gc-wait")
        defer { directory.remove() }
        let path = directory.path + "/store"
        let store = try OCIStore(path: path)
        defer { store.close() }
        let collected = Locked<(Int, Int64)?>(nil)
        let blob = try store.withSharedLock {
            let (digest, _) = try store.writeBlob(Data("{}".utf8))
            let collector = Thread {
                // Another process's store object: it sees only the lock file.
                let result = try? OCIStore(path: path).garbageCollect(gracePeriod: 0)
                collected.withLock { $0 = result }
            }
            collector.start()
            Thread.sleep(forTimeInterval: 0.3)
            #expect(collected.withLock({ $0 }) == nil, "gc waits for the shared lock")
            try store.addManifest(Data("{}".utf8), mediaType: "application/json", names: ["kept:1"])
            return digest
        }
        while collected.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(collected.withLock({ $0 })?.0 == 0)
        #expect(store.hasBlob(blob))
    }

    // MARK: - Import, export

    @Test(arguments: OCIStore.ArchiveFormat.allCases)
    func anExportedImageImportsIntoAnotherStoreUnchanged(_ format: OCIStore.ArchiveFormat) async throws {
        let directory = try TemporaryDirectory("oci-export")
        defer { directory.remove() }
        let store = try OCIStore(path: directory.path + "/a")
        defer { store.close() }
        _ = try store.importArchive(path: Self.writeBaseArchive(in: directory))
        let (emulator, layers) = try Self.writeSources(in: directory, layers: 2)
        let built = try await store.build(Self.request("fn:x", emulator: emulator, layers: layers)) { _ in }
        let archive = directory.path + "/fn.tar"
        try store.export(names: ["fn:x", Self.baseName], format: format, to: archive)

        let other = try OCIStore(path: directory.path + "/b")
        defer { other.close() }
        #expect(try other.importArchive(path: archive) == ["fn:x", Self.baseName].sorted())
        let imported = try #require(try await other.image(named: "fn:x"))
        #expect(imported.id == built.id)
        #expect(imported.labels == built.labels)
        #expect(
            try other.storedImage(named: "fn:x")?.manifest.layers.map(\.digest)
                == store.storedImage(named: "fn:x")?.manifest.layers.map(\.digest))
        #expect(try other.verify().isEmpty)
        // The same export twice: the same bytes.
        let again = directory.path + "/again.tar"
        try store.export(names: ["fn:x", Self.baseName], format: format, to: again)
        #expect(try ContentDigest.file(archive) == ContentDigest.file(again))
    }

    @Test func aMissingBaseSaysHowToGetIt() async throws {
        let directory = try TemporaryDirectory("oci-missing")
        defer { directory.remove() }
        let store = try OCIStore(path: directory.path + "/store")
        defer { store.close() }
        let error = await #expect(throws: EngineError.self) {
            _ = try await store.prepareBase(
                "public.ecr.aws/lambda/nodejs:20-arm64", platform: OCIPlatform(architecture: "arm64"), pull: false)
        }
        #expect(error?.code == .missingBase)
        #expect(error?.message.contains("prewarm import") == true)
        #expect(error?.message.contains(store.path) == true)
        _ = try store.importArchive(path: Self.writeBaseArchive(in: directory))
        let wrongArch = await #expect(throws: EngineError.self) {
            _ = try await store.prepareBase(Self.baseName, platform: OCIPlatform(architecture: "arm64"), pull: false)
        }
        #expect(wrongArch?.message.contains("amd64") == true)
        #expect(
            try await store.prepareBase(Self.baseName, platform: OCIPlatform(architecture: "amd64"), pull: false)
                .architecture == "amd64")
    }
}
