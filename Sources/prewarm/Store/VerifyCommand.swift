import ArgumentParser
import Foundation
import PrewarmImage
import PrewarmSupport

/// `prewarm verify`: every blob, manifest, configuration and name of the OCI store checked;
/// with `--repair`, what is damaged removed and a lost `index.json` restored.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Check every blob, manifest, configuration and name of the OCI store; --repair removes what is damaged.",
        discussion: """
            Every blob is read and hashed. Without --repair nothing changes, and the exit status is 1 when \
            something is wrong (a missing oci-layout too). Temporary files that killed writes left are listed \
            but are no damage: the next build removes them. With --repair (it waits for builds under way): a \
            lost or damaged index.json is restored from its copy and the names log, a missing oci-layout is \
            written again, damaged blobs and leftover temporary files are removed, and so are the names of \
            the images that needed them; the next `prewarm build` builds exactly those again (a damaged base \
            image must be imported or pulled again).

            Examples:
              prewarm verify
              prewarm verify --repair && prewarm build template.yaml --engine oci
            """)

    @OptionGroup var store: StoreOptions

    @Flag(help: "Remove damaged blobs and the names of the images that need them; restore a lost index.json.")
    var repair = false

    func run() throws {
        let directory = store.directory(environment: ProcessInfo.processInfo.environment)
        let report: OCIStore.VerifyReport
        do {
            let opened = try OCIStore.openForRepair(path: directory)
            defer { opened.close() }
            report = try opened.verifyStore(repair: repair)
        } catch let error as any PrewarmError {
            throw CommandFailure(message: SettingFlags.render(error), exitCode: .unusableInput)
        }
        for problem in report.problems { print(problem.description) }
        for leftover in report.leftovers {
            print("\(leftover): left by a killed write" + (repair ? "; removed" : "; the next build removes it"))
        }
        let damaged = report.damagedImages
        if report.problems.isEmpty {
            print("checked \(report.blobsChecked) blob(s): the OCI store at \(directory) is whole")
            return
        }
        print("checked \(report.blobsChecked) blob(s): \(report.problems.count) problem(s)")
        if repair {
            print(
                damaged.isEmpty
                    ? "repaired: no image needs rebuilding"
                    : "repaired: removed the names of \(damaged.count) damaged image(s); `prewarm build` builds them "
                        + "again (import or pull a damaged base again): \(damaged.joined(separator: ", "))")
            return
        }
        throw CommandFailure(
            message: "the OCI store at \(directory) is damaged"
                + (damaged.isEmpty ? "" : " (\(damaged.count) image(s) affected)")
                + "; run `prewarm verify --repair --oci-store \(directory)`, then build again",
            exitCode: .partialFailure)
    }
}
