import Foundation
import PrewarmArchive
import PrewarmOCI
import PrewarmSupport
import PrewarmTestKit
import Testing

@testable import PrewarmImage

/// `OCIStore` against damage from outside: a layer, manifest or configuration flipped, truncated
/// or deleted is never reported present, a build rewrites it, `verifyStore(repair:)` says what
/// must be rebuilt, and a lost or damaged `index.json` is said in one line and restored.
@Suite struct OCIStoreIntegrityTests {
    enum Damage: String, CaseIterable, Sendable { case flip, truncate, delete }

    static func damage(_ file: String, _ damage: Damage) throws {
        switch damage {
        case .flip:
            var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            bytes[bytes.startIndex + bytes.count / 2] ^= 0x01
            // Written in place, as a disk fault would: same inode, same size.
            let handle = try #require(FileHandle(forUpdatingAtPath: file))
            try handle.write(contentsOf: bytes)
            try handle.close()
        case .truncate:
            #expect(truncate(file, 100) == 0)
        case .delete:
            #expect(unlink(file) == 0)
        }
    }

    /// A store with the base and `count` images `fn<i>:x`, each with the emulator and layer i; the caller
    /// closes it.
    static func buildImages(_ count: Int, in directory: TemporaryDirectory) async throws -> (
        OCIStore, String, [String], [String: String]
    ) {
        let store = try OCIStore(path: directory.path + "/store")
        _ = try store.importArchive(path: OCIStoreTests.writeBaseArchive(in: directory))
        let (emulator, layers) = try OCIStoreTests.writeSources(in: directory, layers: count)
        var digests: [String: String] = [:]
        for index in 0..<count {
            let name = "fn\(index):x"
            _ = try await store.build(OCIStoreTests.request(name, emulator: emulator, layers: [layers[index]])) { _ in }
            digests[name] = try #require(try store.descriptor(named: name)).digest
        }
        return (store, emulator, layers, digests)
    }

    @Test(arguments: Damage.allCases)
    func aDamagedLayerIsNeverReportedPresentAndABuildRewritesIt(_ damage: Damage) async throws {
        let directory = try TemporaryDirectory("oci-integrity")
        defer { directory.remove() }
        let (store, emulator, layers, digests) = try await Self.buildImages(2, in: directory)
        defer { store.close() }
        let image = try #require(try store.storedImage(named: "fn0:x"))
        let emulatorLayer = image.manifest.layers[1]
        try Self.damage(try store.blobPath(emulatorLayer.digest), damage)

        // Another process's store object (no memory of the blob) and this one: both see the damage.
        #expect(try await OCIStore(path: store.path).image(named: "fn0:x") == nil)
        #expect(try await store.image(named: "fn1:x") == nil, "the emulator layer is shared")
        #expect(try await store.image(named: OCIStoreTests.baseName) != nil, "the base does not use it")

        // A build (as --force-image-build does) rewrites the damaged blob: the same image again.
        let again = try OCIStore(path: store.path)
        defer { again.close() }
        _ = try await again.build(OCIStoreTests.request("fn0:x", emulator: emulator, layers: [layers[0]])) { _ in }
        #expect(try again.descriptor(named: "fn0:x")?.digest == digests["fn0:x"])
        #expect(try ContentDigest.file(store.blobPath(emulatorLayer.digest)) == emulatorLayer.digest)
        #expect(try await again.image(named: "fn1:x") != nil)
        #expect(try again.verify().isEmpty)
    }

    @Test func aDamagedBaseLayerFailsTheBuildSayingWhatToDo() async throws {
        let directory = try TemporaryDirectory("oci-integrity-base")
        defer { directory.remove() }
        let (store, emulator, layers, _) = try await Self.buildImages(1, in: directory)
        defer { store.close() }
        let base = try #require(try store.storedImage(named: OCIStoreTests.baseName))
        try Self.damage(try store.blobPath(base.manifest.layers[0].digest), .flip)
        let error = await #expect(throws: EngineError.self) {
            _ = try await OCIStore(path: store.path).build(
                OCIStoreTests.request("fn0:x", emulator: emulator, layers: [layers[0]])
            ) { _ in }
        }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("is damaged") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("bring it back with `prewarm import FILE`") == true)
        #expect(error?.message.contains(OCIStoreTests.baseName) == true)
        let base2 = await #expect(throws: EngineError.self) {
            _ = try await OCIStore(path: store.path).prepareBase(
                OCIStoreTests.baseName, platform: OCIPlatform(architecture: "amd64"), pull: false)
        }
        #expect(base2?.code == .corrupt)
    }

    /// Damage of every kind at once; `verifyStore(repair:)` names the images to rebuild, and
    /// building them again gives the same manifests as the clean build.
    @Test func verifyRepairThenBuildRestoresTheSameImages() async throws {
        let directory = try TemporaryDirectory("oci-integrity-repair")
        defer { directory.remove() }
        let (store, emulator, layers, digests) = try await Self.buildImages(4, in: directory)
        defer { store.close() }
        let images = try (0..<4).map { try #require(try store.storedImage(named: "fn\($0):x")) }
        try Self.damage(try store.blobPath(images[0].manifest.layers[2].digest), .flip)  // fn0's own layer
        try Self.damage(try store.blobPath(images[1].manifest.config.digest), .truncate)
        try Self.damage(try store.blobPath(images[2].manifestDescriptor.digest), .delete)
        let leftover = store.path + "/.tmp/killed.partial"
        _ = FileManager.default.createFile(atPath: leftover, contents: Data("half".utf8))

        let checked = try OCIStore(path: store.path).verifyStore()
        #expect(checked.damagedImages == ["fn0:x", "fn1:x", "fn2:x"])
        #expect(checked.problems.count == 3, "two damaged blobs, a missing manifest: \(checked.problems)")
        #expect(checked.leftovers == [leftover])
        #expect(FileManager.default.fileExists(atPath: leftover), "without repair nothing changes")

        let repairer = try OCIStore.openForRepair(path: store.path)
        defer { repairer.close() }
        let repaired = try repairer.verifyStore(repair: true)
        #expect(repaired.damagedImages == ["fn0:x", "fn1:x", "fn2:x"])
        let after = try OCIStore(path: store.path)
        defer { after.close() }
        #expect(try after.verifyStore().problems.isEmpty)
        for index in 0..<3 { #expect(try after.descriptor(named: "fn\(index):x") == nil) }
        #expect(try await after.image(named: "fn3:x") != nil)

        for index in 0..<4 {
            let name = "fn\(index):x"
            if try await after.image(named: name) == nil {
                _ = try await after.build(OCIStoreTests.request(name, emulator: emulator, layers: [layers[index]])) {
                    _ in
                }
            }
            #expect(try after.descriptor(named: name)?.digest == digests[name], "\(name) is byte for byte the same")
        }
        #expect(try after.verify().isEmpty)
    }

    /// Two builds that write one shared layer at once each rename their own copy of its blob into place; a
    /// third process checking that blob meanwhile must not take the swap for damage (it rebuilt images
    /// that were up to date). Here a thread keeps renaming identical copies over the blob while it is checked.
    @Test func aBlobReplacedByAnIdenticalCopyWhileItIsCheckedIsIntact() throws {
        let directory = try TemporaryDirectory("oci-integrity-replaced")
        defer { directory.remove() }
        let store = try OCIStore(path: directory.path + "/store")
        defer { store.close() }
        let data = Data((0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) })
        let (digest, size) = try store.writeBlob(data)
        let file = try store.blobPath(digest)
        let stop = Locked(false)
        let renames = Locked(0)
        let churn = Thread {
            let copy = directory.path + "/copy"
            while !stop.withLock({ $0 }) {
                do {
                    try data.write(to: URL(fileURLWithPath: copy))
                } catch {
                    Issue.record("cannot write \(copy): \(error)")
                    return
                }
                guard rename(copy, file) == 0 else {
                    Issue.record("cannot rename \(copy) to \(file): \(systemErrorMessage())")
                    return
                }
                renames.withLock { $0 += 1 }
            }
        }
        churn.start()
        // Checks until the blob was replaced 100 times (or 20 s went by).
        var (checks, notIntact) = (0, 0)
        let deadline = ContinuousClock.now + .seconds(20)
        while renames.withLock({ $0 }) < 100, ContinuousClock.now < deadline, !churn.isFinished {
            checks += 1
            if !store.isIntact(digest, size: size) { notIntact += 1 }
        }
        stop.withLock { $0 = true }
        while !churn.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        #expect(renames.withLock { $0 } >= 100, "the blob was replaced while it was checked")
        #expect(notIntact == 0, "a replaced blob was taken for a damaged one \(notIntact) times of \(checks)")
        #expect(try store.verify().isEmpty)
    }

    @Test func aDamagedManifestIsSaidOnceAndTheNextLookupRebuildsIt() async throws {
        let directory = try TemporaryDirectory("oci-integrity-manifest")
        defer { directory.remove() }
        let (store, _, _, _) = try await Self.buildImages(1, in: directory)
        defer { store.close() }
        let manifest = try #require(try store.descriptor(named: "fn0:x"))
        try Self.damage(try store.blobPath(manifest.digest), .flip)
        let error = await #expect(throws: EngineError.self) { _ = try await store.image(named: "fn0:x") }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("next build") == true)
        #expect(try await OCIStore(path: store.path).image(named: "fn0:x") == nil, "not for ever")
    }

    @Test(arguments: ["delete", "truncate", "garbage"])
    func aLostOrDamagedIndexIsSaidInOneLineAndRestored(_ damage: String) async throws {
        let directory = try TemporaryDirectory("oci-integrity-index")
        defer { directory.remove() }
        let (store, _, _, digests) = try await Self.buildImages(3, in: directory)
        defer { store.close() }
        let names = try store.index().manifests.compactMap { $0.annotations?[OCIAnnotation.imageName] }.sorted()
        let index = store.path + "/index.json"
        switch damage {
        case "delete": #expect(unlink(index) == 0)
        case "truncate": #expect(truncate(index, 40) == 0)
        default: try Data("{\"manifests\": 7}".utf8).write(to: URL(fileURLWithPath: index))
        }
        let error = #expect(throws: EngineError.self) { _ = try OCIStore(path: store.path) }
        #expect(error?.code == .corrupt)
        let message = error?.description ?? ""
        #expect(message.contains("prewarm verify --repair --oci-store \(store.path)"))
        #expect(!message.contains("\n") && !message.contains("DecodingError"), "\(message)")

        let repairer = try OCIStore.openForRepair(path: store.path)
        defer { repairer.close() }
        let report = try repairer.verifyStore(repair: true)
        #expect(
            report.problems.contains { $0.message.contains("restored \(names.count) name(s)") }, "\(report.problems)")
        let restored = try OCIStore(path: store.path)
        defer { restored.close() }
        #expect(
            try restored.index().manifests.compactMap { $0.annotations?[OCIAnnotation.imageName] }.sorted() == names)
        for (name, digest) in digests { #expect(try restored.descriptor(named: name)?.digest == digest) }
        #expect(try restored.verify().isEmpty)
    }

    /// Names are appended to a log and folded into `index.json` in batches: every store object
    /// sees every name at once, and after `flushNames()` `index.json` (and its copy) hold them all.
    @Test func namesAreLoggedThenFoldedIntoIndexJSON() throws {
        let directory = try TemporaryDirectory("oci-names-log")
        defer { directory.remove() }
        let path = directory.path + "/store"
        let writer = try OCIStore(path: path)
        defer { writer.close() }
        let reader = try OCIStore(path: path)
        defer { reader.close() }
        let manifest = try writer.addManifest(Data("{}".utf8), mediaType: OCIMediaType.imageManifest, names: [])
        for index in 0..<300 {
            try writer.setName("img:\(index)", to: manifest)
            if index % 50 == 0 { #expect(try reader.descriptor(named: "img:\(index)")?.digest == manifest.digest) }
        }
        try writer.removeName("img:7")
        #expect(try reader.index().manifests.count == 299)
        #expect(try reader.descriptor(named: "img:7") == nil)
        try writer.flushNames()
        let onDisk = try JSONDecoder().decode(
            OCIIndex.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/index.json")))
        #expect(onDisk.manifests.count == 299)
        let backup = try JSONDecoder().decode(
            OCIIndex.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/.prewarm-index.backup.json")))
        #expect(backup == onDisk)
        #expect((try? Data(contentsOf: URL(fileURLWithPath: path + "/.prewarm-names.log")))?.isEmpty ?? true)
    }

    // MARK: - Import

    /// A `docker save` tar of two images sharing a layer, written as Docker does: the shared
    /// layer once, the second image's copy a symbolic link to it; the second layer gzip-compressed.
    static func writeTwoImageArchive(in directory: TemporaryDirectory, wrongGzipDiffID: Bool = false) throws -> String {
        let shared = directory.path + "/shared.tar"
        _ = FileManager.default.createFile(atPath: shared, contents: nil)
        do {
            let handle = try #require(FileHandle(forWritingAtPath: shared))
            var tar = TarWriter(output: handle)
            try tar.addDirectory("bin")
            try tar.addFile("bin/sh", contents: Data("#!stand-in shell\n".utf8), mode: 0o755)
            try tar.finish()
            try handle.close()
        }
        let own = directory.path + "/own.tar"
        _ = FileManager.default.createFile(atPath: own, contents: nil)
        do {
            let handle = try #require(FileHandle(forWritingAtPath: own))
            var tar = TarWriter(output: handle)
            try tar.addDirectory("opt")
            try tar.addFile("opt/extra.txt", contents: Data("only in the second image\n".utf8), mode: 0o644)
            try tar.finish()
            try handle.close()
        }
        let ownDiffID = wrongGzipDiffID ? ContentDigest.text("not it") : try ContentDigest.file(own)
        let gzip = try #require(CommandRunner.which("gzip"))
        let zipped = Process()
        zipped.executableURL = URL(fileURLWithPath: gzip)
        zipped.arguments = ["-n", "-k", own]
        try zipped.run()
        zipped.waitUntilExit()
        let sharedDiffID = try ContentDigest.file(shared)
        func config(_ diffIDs: [String], _ label: String) throws -> Data {
            try JSONSerialization.data(
                withJSONObject: [
                    "architecture": "amd64", "os": "linux", "config": ["Labels": ["which": label]],
                    "rootfs": ["type": "layers", "diff_ids": diffIDs],
                ], options: [.sortedKeys])
        }
        let first = try config([sharedDiffID], "first")
        let second = try config([sharedDiffID, ownDiffID], "second")
        let firstName = String(ContentDigest.data(first).dropFirst(7)) + ".json"
        let secondName = String(ContentDigest.data(second).dropFirst(7)) + ".json"
        let manifest = try JSONSerialization.data(withJSONObject: [
            ["Config": firstName, "RepoTags": ["example.com/first:1"], "Layers": ["aaaa/layer.tar"]],
            [
                "Config": secondName, "RepoTags": ["example.com/second:1"],
                "Layers": ["bbbb/layer.tar", "cccc/layer.tar"],
            ],
        ])
        // Written by the system tar, which stores the symbolic link as one.
        let staging = directory.path + "/staging"
        for sub in ["aaaa", "bbbb", "cccc"] {
            try FileManager.default.createDirectory(atPath: staging + "/" + sub, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: shared, toPath: staging + "/aaaa/layer.tar")
        try FileManager.default.createSymbolicLink(
            atPath: staging + "/bbbb/layer.tar", withDestinationPath: "../aaaa/layer.tar")
        try FileManager.default.copyItem(atPath: own + ".gz", toPath: staging + "/cccc/layer.tar")
        try first.write(to: URL(fileURLWithPath: staging + "/" + firstName))
        try second.write(to: URL(fileURLWithPath: staging + "/" + secondName))
        try manifest.write(to: URL(fileURLWithPath: staging + "/manifest.json"))
        let archive = directory.path + "/two-\(UUID().uuidString).tar"
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        tar.arguments = ["-cf", archive, "-C", staging, "."]
        try tar.run()
        tar.waitUntilExit()
        try FileManager.default.removeItem(atPath: staging)
        try FileManager.default.removeItem(atPath: own + ".gz")
        return archive
    }

    @Test func aDockerSaveOfImagesSharingALinkedLayerImportsWithGzipLayersChecked() throws {
        let directory = try TemporaryDirectory("oci-import-shared")
        defer { directory.remove() }
        let store = try OCIStore(path: directory.path + "/store")
        defer { store.close() }
        let archive = try Self.writeTwoImageArchive(in: directory)
        #expect(try store.importArchive(path: archive) == ["example.com/first:1", "example.com/second:1"])
        let first = try #require(try store.storedImage(named: "example.com/first:1"))
        let second = try #require(try store.storedImage(named: "example.com/second:1"))
        #expect(first.manifest.layers[0] == second.manifest.layers[0], "one blob for the shared layer")
        #expect(second.manifest.layers[1].mediaType == OCIMediaType.layerGzip)
        #expect(try store.verify().isEmpty)

        let bad = try OCIStore(path: directory.path + "/bad")
        defer { bad.close() }
        let error = #expect(throws: EngineError.self) {
            try bad.importArchive(path: Self.writeTwoImageArchive(in: directory, wrongGzipDiffID: true))
        }
        #expect(error?.code == .invalidArchive)
        #expect(error?.message.contains("diff ID") == true)
        #expect(try bad.index().manifests.isEmpty, "nothing of it is named")
    }
}
