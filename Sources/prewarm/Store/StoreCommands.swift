import ArgumentParser
import Foundation
import PrewarmImage
import PrewarmJournal
import PrewarmRun
import PrewarmSupport

/// `--oci-store`: where prewarm's OCI store is, for `build --engine oci` and the commands that work
/// on the store alone.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("oci-store"),
        help: ArgumentHelp(
            "The OCI store (an OCI image layout), the engine of --engine oci. Default: $XDG_CACHE_HOME/prewarm/oci, "
                + "else ~/.cache/prewarm/oci; for a build of a template that brings its own base images or emulator "
                + "(Metadata.Prewarm), .prewarm/oci beside it.",
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
              skopeo copy docker://public.ecr.aws/lambda/python:3.12-arm64 \\
                oci-archive:py.tar:public.ecr.aws/lambda/python:3.12-arm64 && prewarm import py.tar
              docker save IMAGE… -o bases.tar && prewarm import bases.tar    (several images, shared layers)
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
                let names = try store.importArchive(path: file)
                guard !names.isEmpty else {
                    throw CommandFailure(
                        message: "\(file) names no image (no RepoTags, no image name annotation): name it when you "
                            + "make it, e.g. `skopeo copy … oci-archive:\(file):REPOSITORY:TAG`",
                        exitCode: .unusableInput)
                }
                for name in names { print("imported \(name)") }
            } catch let error as ImageError {
                throw CommandFailure(message: "\(file): \(error.description)", exitCode: .unusableInput)
            }
        }
    }
}

/// `prewarm export`: images of the OCI store into an archive.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write images of the OCI store to an archive: `docker load` form, or an OCI layout.",
        discussion: """
            Name the images, or the functions whose images to write (--function, found in the template as \
            prewarm plan finds it: -t, else .aws-sam/build/template.yaml, template.yaml, …).

            Examples:
              prewarm export --format docker -o images.tar samcli/lambda-python:3.12-x86_64-ea35a2dafa693f01cf9de8ed7
              prewarm export --function Hello --function HelloArm -o hello.tar
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

    @Option(
        name: .customLong("function"),
        help: ArgumentHelp(
            "The image of this function (Child/Function or a logical ID). Repeatable.", valueName: "name"))
    var functions: [String] = []

    @Option(
        name: [.customShort("t"), .customLong("template")],
        help: ArgumentHelp("With --function: the template. Default: as prewarm plan finds it.", valueName: "template"))
    var template: String?

    @Argument(help: ArgumentHelp("Images, by name.", valueName: "image"))
    var images: [String] = []

    func validate() throws {
        guard !images.isEmpty || !functions.isEmpty else {
            throw ValidationError("name at least one image (or --function) to export")
        }
        if template != nil, functions.isEmpty { throw ValidationError("--template goes with --function") }
    }

    func run() async throws {
        let store = try store.open()
        var names = images
        if !functions.isEmpty {
            var configuration = BuildConfiguration(templatePath: try TemplateArgument.located(template))
            configuration.images.functions = functions
            let plan = try await BuildSession(configuration).plan
            for image in plan.functions.map(\.image) where !names.contains(image) { names.append(image) }
        }
        try store.export(names: names, format: format == .docker ? .docker : .oci, to: output)
        print("wrote \(names.count) image(s) to \(output)")
    }
}

/// `prewarm gc`: blobs no image needs.
struct GCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Remove what prewarm made that nothing needs: OCI store blobs, or images in a Docker engine.",
        discussion: """
            --engine oci (the default): removes the blobs of the OCI store that no named image needs. Safe \
            while builds run: blobs written in the last --grace-period seconds are kept, and gc waits for \
            writers that hold the store's lock. With --dry-run, lists the blobs (and leftovers of killed \
            writes) it would remove, and removes nothing.

            --engine docker: removes the images this template's builds made (prewarm labels each with \
            dev.prewarm.template) that no name holds any more — left behind when a rebuild, or SAM CLI, \
            took their name — and those whose names the template's plan no longer gives. Images of other \
            templates, images prewarm did not build, and every image the plan names stay. An image a \
            container still uses is kept, and said so.

            --stand-ins: removes stand-in base images (such as the quickstart's, which earlier versions \
            stored in the default store and in Docker under the real names), every image built on one, and \
            every image built with a stand-in emulator: with --engine oci their names, then the blobs no \
            image needs; with --engine docker their names, whatever template built them, and nothing else.

            Examples:
              prewarm gc
              prewarm gc --dry-run
              prewarm gc --stand-ins
              prewarm gc --stand-ins --engine docker --dry-run
              prewarm gc --engine docker template.yaml --dry-run
            """)

    enum Engine: String, ExpressibleByArgument, CaseIterable {
        case oci, docker
    }

    @Option(help: "What to clean: oci (the OCI store's blobs) or docker (prewarm's images in a Docker engine).")
    var engine: Engine = .oci

    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("grace-period"), help: "With --engine oci: keep blobs younger than this many seconds.")
    var gracePeriod: Int = 600

    @OptionGroup(title: "With --engine docker") var template: TemplateOptions

    @Option(
        name: .customLong("docker-host"),
        help: ArgumentHelp(
            "With --engine docker: the engine, unix:///path/docker.sock or tcp://host:port. Default: as prewarm "
                + "build finds it ($DOCKER_HOST, the docker context, the usual sockets).",
            valueName: "url"))
    var dockerHost: String?

    @Flag(name: .customLong("dry-run"), help: "List what would be removed, remove nothing.")
    var dryRun = false

    @Flag(
        name: .customLong("stand-ins"),
        help: "Remove stand-in base images and every image built on one (with --engine docker: only those).")
    var standIns = false

    func validate() throws {
        guard gracePeriod >= 0 else { throw ValidationError("--grace-period cannot be negative") }
        if engine == .oci, dockerHost != nil { throw ValidationError("--docker-host works with --engine docker") }
    }

    func run() async throws {
        switch engine {
        case .oci:
            let store = try store.open()
            if standIns, dryRun {
                let names = try store.standInNames()
                for name in names { print("would remove stand-in \(name)") }
                print("would remove \(names.count) stand-in name(s); \(store.path)")
                return
            }
            if standIns {
                let names = try store.removeStandIns()
                for name in names { print("removed stand-in \(name)") }
            }
            if dryRun {
                let (blobs, leftovers) = try store.garbage(gracePeriod: TimeInterval(gracePeriod))
                for blob in blobs { print("would remove blob \(blob.digest) (\(blob.bytes) bytes)") }
                for leftover in leftovers { print("would remove leftover \(leftover.path) (\(leftover.bytes) bytes)") }
                let bytes = blobs.map(\.bytes).reduce(0, +) + leftovers.map(\.bytes).reduce(0, +)
                print("would remove \(blobs.count) blob(s), \(bytes) bytes; \(store.path)")
                return
            }
            let (removed, freed) = try store.garbageCollect(gracePeriod: TimeInterval(gracePeriod))
            print("removed \(removed) blob(s), \(freed) bytes")
        case .docker:
            if standIns { try await removeDockerStandIns() } else { try await cleanDocker() }
        }
    }

    /// Removes every name of the images of the Docker engine that are stand-ins (``StandIn``): bases, images
    /// built on them, images built with a stand-in emulator.
    private func removeDockerStandIns() async throws {
        let (docker, _) = try await EngineDiscovery(environment: ProcessInfo.processInfo.environment)
            .locate(option: dockerHost)
        var names: [String] = []
        for summary in try await docker.allImages() {
            guard let first = summary.names.first, let image = try await docker.image(named: first), image.isStandIn
            else { continue }
            names += summary.names
        }
        for name in names.sorted() {
            if !dryRun { try await docker.remove(name) }
            print("\(dryRun ? "would remove" : "removed") stand-in \(name)")
        }
        print("\(dryRun ? "would remove" : "removed") \(names.count) stand-in name(s); \(docker.description)")
    }

    private func cleanDocker() async throws {
        let plan = try await BuildSession(try template.configuration()).plan
        guard plan.errors.isEmpty else {
            Console.report(plan, listingSkipped: false)
            throw CommandFailure(
                message: "the template has functions that cannot be planned; gc removes nothing until it plans cleanly",
                exitCode: .partialFailure)
        }
        let templatePath = URL(fileURLWithPath: plan.template).standardizedFileURL.path
        // The engine build uses, found the same way: --docker-host, DOCKER_HOST, a docker context, the usual sockets.
        let (docker, _) = try await EngineDiscovery(environment: ProcessInfo.processInfo.environment)
            .locate(option: dockerHost)
        let images = try await docker.images(labeled: ImageLabels.template)
        // What the latest builds made stays, --for-sam's (named after the derived template) included.
        var keep = Set(plan.functions.map(\.image))
        let journalPath = BuildConfiguration.journalPath(nil, forTemplate: templatePath)
        if FileManager.default.fileExists(atPath: journalPath) {
            keep.formUnion(
                try await EngineCleanup.namesOfLatestBuilds(in: Journal(path: journalPath), templatePath: templatePath))
        }
        let removals = EngineCleanup(templatePath: templatePath, plannedNames: keep).removals(among: images)
        var freed: Int64 = 0
        var kept = 0
        for removal in removals {
            let what = "\(removal.image.id.prefix(19)) \(removal.image.names.joined(separator: ", "))"
                .trimmingCharacters(in: .whitespaces)
            if dryRun {
                print("would remove \(removal.reason.rawValue) \(what)")
                freed += removal.image.size
                continue
            }
            do {
                try await docker.removeImage(id: removal.image.id)
                print("removed \(removal.reason.rawValue) \(what)")
                freed += removal.image.size
            } catch let error as ImageError {
                kept += 1
                Console.warning("kept \(what): \(error.message)")
            }
        }
        let verb = dryRun ? "would remove" : "removed"
        print("\(verb) \(removals.count - kept) image(s), \(freed) bytes; \(docker.description)")
    }
}
