import Foundation
import PrewarmTestKit
import Testing

/// The OCI store damaged from outside, end to end with `prewarm build --engine oci` on the
/// quickstart: no build ever reports success over a damaged image, and `prewarm verify --repair`
/// then a build restores the images byte for byte (the same manifest digests as the clean build).
extension EngineTests {
    @Suite struct OCIStoreDamageTests {
        let directory: TemporaryDirectory
        let template: String
        let store: String

        init() throws {
            directory = try TemporaryDirectory("prewarm-oci-damage")
            template = try OCITest.quickstart(in: directory)
            store = directory.path + "/store"
        }

        func build(_ extra: [String] = []) async throws -> CommandResult {
            try await OCITest.prewarm(
                ["build", template, "--engine", "oci", "--oci-store", store, "--progress", "json"] + extra,
                home: directory)
        }

        func prewarm(_ arguments: [String]) async throws -> CommandResult {
            try await OCITest.prewarm(arguments + ["--oci-store", store], home: directory)
        }

        /// The images prewarm built (not the bases), by name, with their manifests' layers.
        func builtImages() throws -> [String: [String]] {
            var result: [String: [String]] = [:]
            for (name, digest) in try OCITest.namedDigests(in: store) where !Self.isBase(name) {
                let manifest =
                    try JSONSerialization.jsonObject(
                        with: Data(contentsOf: URL(fileURLWithPath: blob(digest)))) as? [String: Any]
                result[name] = (manifest?["layers"] as? [[String: Any]] ?? []).compactMap { $0["digest"] as? String }
            }
            return result
        }

        /// Whether `name` is one of the quickstart's bases (`public.ecr.aws/lambda/python:3.12-x86_64`),
        /// not an image prewarm built.
        static func isBase(_ name: String) -> Bool {
            name.hasPrefix("public.ecr.aws/lambda/python:3.12-") && !name.contains("rapid")
        }

        func blob(_ digest: String) -> String { store + "/blobs/sha256/" + digest.dropFirst("sha256:".count) }

        func flip(_ file: String) throws {
            var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            bytes[bytes.startIndex + bytes.count / 2] ^= 0x01
            let handle = try #require(FileHandle(forUpdatingAtPath: file))
            try handle.write(contentsOf: bytes)
            try handle.close()
        }

        @Test func noBuildReportsSuccessOverADamagedImageAndRepairRestoresTheSameImages() async throws {
            defer { directory.remove() }
            let clean = try await build()
            #expect(clean.status == 0, "\(clean.stderr)")
            let digests = try OCITest.namedDigests(in: store)
            let images = try builtImages()
            #expect(images.count == 3, "\(images.keys)")
            let names = images.keys.sorted()

            // The layers prewarm made (not the bases'), and which images use each.
            var baseLayers: Set<String> = []
            for (name, digest) in digests where Self.isBase(name) {
                let manifest =
                    try JSONSerialization.jsonObject(
                        with: Data(contentsOf: URL(fileURLWithPath: blob(digest)))) as? [String: Any]
                for layer in manifest?["layers"] as? [[String: Any]] ?? [] {
                    if let digest = layer["digest"] as? String { baseLayers.insert(digest) }
                }
            }
            func users(of layer: String) -> Set<String> { Set(images.filter { $0.value.contains(layer) }.keys) }
            let made = Set(images.values.flatMap { $0 }).subtracting(baseLayers)
            let shared = try #require(made.max { users(of: $0).count < users(of: $1).count })

            // A flipped byte in the layer most images use: those rebuilt, the same as before.
            try flip(blob(shared))
            let afterFlip = try await build()
            #expect(afterFlip.status == 0, "\(afterFlip.stderr)")
            #expect(OCITest.built(afterFlip.stdout) == users(of: shared).count, "\(afterFlip.stdout)")
            #expect(try OCITest.namedDigests(in: store) == digests)
            #expect(try await prewarm(["verify"]).status == 0)

            // A truncated layer, with --force-image-build: the damaged blob is rewritten.
            let layer = blob(try #require(images[names[1]]?.last))
            #expect(truncate(layer, 10) == 0)
            let forced = try await build(["--force-image-build"])
            #expect(forced.status == 0, "\(forced.stderr)")
            #expect(try OCITest.namedDigests(in: store) == digests)
            #expect(try await prewarm(["verify"]).status == 0)

            // A deleted layer blob and a damaged configuration: `verify` says so, `--repair`
            // removes them and their names, and a build makes exactly those again.
            #expect(unlink(layer) == 0)
            let config =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: blob(try #require(digests[names[2]])))))
                as? [String: Any]
            try flip(blob(try #require((config?["config"] as? [String: Any])?["digest"] as? String)))
            let check = try await prewarm(["verify"])
            #expect(check.status == 1, "\(check.stdout)\n\(check.stderr)")
            #expect(check.stderr.contains("prewarm verify --repair"), "\(check.stderr)")
            let repair = try await prewarm(["verify", "--repair"])
            #expect(repair.status == 0, "\(repair.stderr)")
            #expect(repair.stdout.contains(names[1]) && repair.stdout.contains(names[2]), "\(repair.stdout)")
            let rebuilt = try await build()
            #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
            let layerDigest = "sha256:" + (layer as NSString).lastPathComponent
            #expect(
                OCITest.built(rebuilt.stdout) == users(of: layerDigest).union([names[2]]).count,
                "exactly the damaged images: \(rebuilt.stdout)")
            #expect(try OCITest.namedDigests(in: store) == digests)

            // index.json lost, then damaged: one line saying what to run; the names come back.
            for damage in ["delete", "truncate"] {
                if damage == "delete" {
                    #expect(unlink(store + "/index.json") == 0)
                } else {
                    #expect(truncate(store + "/index.json", 30) == 0)
                }
                let refused = try await build()
                #expect(refused.status == 2, "\(refused.stderr)")
                // The template's and the engine's lines, then one error line.
                let lines = refused.stderr.split(separator: "\n").filter {
                    !$0.hasPrefix("prewarm: engine") && !$0.hasPrefix("prewarm: template: ")
                }
                #expect(lines.count == 1, "\(lines)")
                #expect(refused.stderr.contains("prewarm verify --repair --oci-store \(store)"), "\(refused.stderr)")
                #expect(!refused.stderr.contains("DecodingError"))
                let restored = try await prewarm(["verify", "--repair"])
                #expect(restored.status == 0, "\(restored.stderr)")
                let again = try await build()
                #expect(again.status == 0, "\(again.stderr)")
                #expect(OCITest.built(again.stdout) == 0, "every name restored: nothing to build")
                #expect(try OCITest.namedDigests(in: store) == digests)
            }
            #expect(try await prewarm(["verify"]).status == 0)
        }
    }
}
