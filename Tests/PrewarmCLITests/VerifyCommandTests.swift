import Foundation
import PrewarmTestKit
import Testing

/// `prewarm verify` on an OCI store the quickstart was built into: without `--repair` it reads and
/// changes nothing; a missing `oci-layout` is damage, which `--repair` mends.
@Suite struct VerifyCommandTests {
    /// Every path under `root` with its inode, size, modification and change times.
    func snapshot(_ root: String) -> [String: String] {
        var result: [String: String] = [:]
        for relative in tree(root) {
            var status = stat()
            lstat(root + "/" + relative, &status)
            result[relative] =
                "\(status.st_ino) \(status.st_size) \(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec) "
                + "\(status.st_ctim.tv_sec).\(status.st_ctim.tv_nsec)"
        }
        return result
    }

    @Test func withoutRepairNothingChangesAndAMissingLayoutIsDamage() async throws {
        let directory = try TemporaryDirectory("prewarm-verify")
        defer { directory.remove() }
        let template = try OCITest.quickstart(in: directory)
        let store = directory.path + "/store"
        let built = try await OCITest.prewarm(
            ["build", template, "--engine", "oci", "--oci-store", store], home: directory)
        try #require(built.status == 0, "\(built.stderr)")

        #expect(unlink(store + "/oci-layout") == 0)
        let before = snapshot(store)
        let check = try await OCITest.prewarm(["verify", "--oci-store", store], home: directory)
        #expect(check.status == 1, "\(check.stdout)\(check.stderr)")
        #expect(
            check.stdout.contains("\(store)/oci-layout: is missing, so the directory is not an OCI image layout"),
            "\(check.stdout)")
        #expect(!check.stdout.contains("whole"), "\(check.stdout)")
        #expect(check.stderr.contains("prewarm verify --repair --oci-store \(store)"), "\(check.stderr)")
        #expect(snapshot(store) == before, "verify without --repair changes nothing")

        let repair = try await OCITest.prewarm(["verify", "--repair", "--oci-store", store], home: directory)
        #expect(repair.status == 0, "\(repair.stdout)\(repair.stderr)")
        #expect(repair.stdout.contains("\(store)/oci-layout: was missing; written again"), "\(repair.stdout)")
        let layout = try String(contentsOfFile: store + "/oci-layout", encoding: .utf8)
        #expect(layout == #"{"imageLayoutVersion":"1.0.0"}"#)
        let whole = try await OCITest.prewarm(["verify", "--oci-store", store], home: directory)
        #expect(whole.status == 0, "\(whole.stdout)\(whole.stderr)")
        #expect(whole.stdout.contains("is whole"), "\(whole.stdout)")
    }

    @Test func aDirectoryThatIsNoStoreIsAnErrorAndIsNotMade() async throws {
        let directory = try TemporaryDirectory("prewarm-verify")
        defer { directory.remove() }
        let missing = directory.path + "/no-store"
        let check = try await OCITest.prewarm(["verify", "--oci-store", missing], home: directory)
        #expect(check.status == 2, "\(check.stdout)\(check.stderr)")
        #expect(
            check.stderr
                == "prewarm: error: there is no OCI store at \(missing): nothing to verify; check --oci-store\n",
            "\(check.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}
