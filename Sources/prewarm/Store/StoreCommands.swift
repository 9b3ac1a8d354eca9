import ArgumentParser
import Foundation
import PrewarmImage
import PrewarmPlan
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

    /// Opens the store (creating it when absent); the caller closes it (`OCIStore.close()`).
    ///
    /// - Throws: `EngineError` when the directory cannot be used as one.
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
        defer { store.close() }
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
            } catch let error as any PrewarmError {
                throw CommandFailure(message: "\(file): \(SettingFlags.render(error))", exitCode: .unusableInput)
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
        defer { store.close() }
        var names = images
        if !functions.isEmpty {
            var configuration = BuildConfiguration(templatePath: try TemplateArgument.located(template))
            configuration.images.functions = functions
            let plan = try await BuildSession(configuration).planned().plan
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

    /// The engine `--engine` names, where `--oci-store` or `--docker-host` says.
    var selection: EngineSelection {
        switch engine {
        case .oci: EngineSelection(engine: .oci, ociStore: store.path)
        case .docker: EngineSelection(engine: .docker, dockerHost: dockerHost)
        }
    }

    func run() async throws {
        if engine == .docker, !standIns {
            // The template first: a template that does not plan cleanly stops gc before the engine is asked.
            let plan = try await BuildSession(try template.configuration()).planned().plan
            guard plan.errors.isEmpty else {
                Console.report(plan, listingSkipped: false)
                throw CommandFailure(
                    message:
                        "the template has functions that cannot be planned; gc removes nothing until it plans cleanly",
                    exitCode: .partialFailure)
            }
            let gc = try await GarbageCollection(selection, dryRun: dryRun)
            defer { gc.close() }
            try await removeTemplateImages(of: plan, gc)
            return
        }
        let gc = try await GarbageCollection(selection, dryRun: dryRun)
        defer { gc.close() }
        switch engine {
        case .oci:
            if standIns, dryRun {
                try await removeStandIns(gc)
                return
            }
            if standIns {
                for name in try await gc.removeStandIns() { print("removed stand-in \(name)") }
            }
            if dryRun {
                let items = try await gc.unneededContent(olderThan: TimeInterval(gracePeriod)) ?? []
                for item in items { print("would remove \(item.kind.rawValue) \(item.name) (\(item.bytes) bytes)") }
                let blobs = items.filter { $0.kind == .blob }.count
                print("would remove \(blobs) blob(s), \(items.map(\.bytes).reduce(0, +)) bytes; \(gc.place)")
                return
            }
            let removal = try await gc.removeUnneededContent(olderThan: TimeInterval(gracePeriod))
            print("removed \(removal?.removed ?? 0) blob(s), \(removal?.freedBytes ?? 0) bytes")
        case .docker:
            try await removeStandIns(gc)
        }
    }

    /// Removes every name of the images of the engine that are stand-ins (``StandIn``): bases, images built
    /// on them, images built with a stand-in emulator.
    private func removeStandIns(_ gc: GarbageCollection) async throws {
        let names = try await gc.removeStandIns()
        let verb = dryRun ? "would remove" : "removed"
        for name in names { print("\(verb) stand-in \(name)") }
        print("\(verb) \(names.count) stand-in name(s); \(gc.place)")
    }

    /// Removes what the builds of `plan`'s template left in the engine that nothing needs (`EngineCleanup`).
    private func removeTemplateImages(of plan: Plan, _ gc: GarbageCollection) async throws {
        let removals = try await gc.removeTemplateImages(of: plan)
        var freed: Int64 = 0
        var kept = 0
        for result in removals {
            let image = result.removal.image
            let what = "\(image.id.prefix(19)) \(image.names.joined(separator: ", "))"
                .trimmingCharacters(in: .whitespaces)
            if let refusal = result.refusal {
                kept += 1
                Console.warning("kept \(what): \((refusal as? any PrewarmError)?.text ?? Message(describing: refusal))")
                continue
            }
            print("\(dryRun ? "would remove" : "removed") \(result.removal.reason.rawValue) \(what)")
            freed += image.size
        }
        let verb = dryRun ? "would remove" : "removed"
        print("\(verb) \(removals.count - kept) image(s), \(freed) bytes; \(gc.place)")
    }
}
