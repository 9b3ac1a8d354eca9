import ArgumentParser
import Foundation
import PrewarmImage
import PrewarmRun
import PrewarmSupport

/// `--oci-store`: where prewarm's OCI store is, for `build --engine oci` and the commands that work
/// on the store alone.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("oci-store"),
        help: ArgumentHelp(
            "The OCI store (an OCI image layout), the engine of --engine oci. Default: $XDG_CACHE_HOME/prewarm/oci, "
                + "else ~/.cache/prewarm/oci.",
            valueName: "dir"))
    var path: String?

    /// `--oci-store`, else `$XDG_CACHE_HOME/prewarm/oci`, else `~/.cache/prewarm/oci`.
    func directory(environment: [String: String]) -> String {
        BuildConfiguration.ociStorePath(path, environment: environment)
    }

    /// Opens the store (creating it when absent).
    ///
    /// - Throws: `ImageError` when the directory cannot be used as one.
    func open() throws -> OCIStore {
        try OCIStore(path: directory(environment: ProcessInfo.processInfo.environment))
    }
}

/// `prewarm import`: base images from archives into the OCI store.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import images (e.g. base images) from `docker save` or OCI layout tars into the OCI store.",
        discussion: """
            For machines that cannot reach a registry: save the base images where they can be pulled, \
            carry the archive over, import it. Every blob is checked against its digest.

            Examples:
              docker save public.ecr.aws/lambda/python:3.12-x86_64 -o python.tar && prewarm import python.tar
              skopeo copy docker://public.ecr.aws/lambda/python:3.12-arm64 oci-archive:py.tar && prewarm import py.tar
            """)

    @OptionGroup var store: StoreOptions

    @Argument(help: ArgumentHelp("Archives to import.", valueName: "file"))
    var files: [String] = []

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one archive to import") }
    }

    func run() throws {
        let store = try store.open()
        for file in files {
            do {
                for name in try store.importArchive(path: file) { print("imported \(name)") }
            } catch let error as ImageError {
                throw CommandFailure(message: "\(file): \(error.description)", exitCode: .unusableInput)
            }
        }
    }
}

/// `prewarm export`: images of the OCI store into an archive.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write images of the OCI store to an archive: `docker load` form, or an OCI layout.",
        discussion: """
            Examples:
              prewarm export --format docker -o images.tar samcli/lambda-python:3.12-x86_64-ea35a2dafa693f01cf9de8ed7
              docker load -i images.tar
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case docker, oci
    }

    @OptionGroup var store: StoreOptions

    @Option(help: "docker (for `docker load`) or oci (an OCI image layout as a tar).")
    var format: Format = .docker

    @Option(name: .shortAndLong, help: ArgumentHelp("The archive to write.", valueName: "file"))
    var output: String

    @Argument(help: ArgumentHelp("Images, by name.", valueName: "image"))
    var images: [String] = []

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("name at least one image to export") }
    }

    func run() throws {
        let store = try store.open()
        try store.export(names: images, format: format == .docker ? .docker : .oci, to: output)
        print("wrote \(images.count) image(s) to \(output)")
    }
}

/// `prewarm gc`: blobs no image needs.
struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove the blobs of the OCI store that no named image needs.",
        discussion: """
            Safe while builds run: blobs written in the last --grace-period seconds are kept, and gc \
            waits for writers that hold the store's lock.
            """)

    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("grace-period"), help: "Keep blobs younger than this many seconds.")
    var gracePeriod: Int = 600

    func validate() throws {
        guard gracePeriod >= 0 else { throw ValidationError("--grace-period cannot be negative") }
    }

    func run() throws {
        let store = try store.open()
        let (removed, freed) = try store.garbageCollect(gracePeriod: TimeInterval(gracePeriod))
        print("removed \(removed) blob(s), \(freed) bytes")
    }
}
