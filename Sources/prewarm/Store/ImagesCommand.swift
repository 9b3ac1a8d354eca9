import ArgumentParser
import Foundation
import PrewarmImage
import PrewarmPlan

/// `prewarm images`: what the OCI store holds.
struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "List the images of the OCI store: name, architecture, size, when stored, which template.",
        discussion: """
            The store is prewarm's own (--engine oci); images in a Docker engine are listed by docker images. \
            Bases have no template. SIZE counts each image's blobs, also those it shares with others.

            Examples:
              prewarm images
              prewarm images --template template.yaml --format json
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Only the images this template's builds made.", valueName: "template"))
    var template: String?

    @Option(help: "text (a table) or json.")
    var format: Format = .text

    /// `images --format json`.
    struct Document: Encodable {
        struct Image: Encodable {
            var name, architecture, manifestDigest: String
            var size: Int64
            var stored: String?
            var template: String?
        }
        var schemaVersion = JSONSchema.version
        var store: String
        var images: [Image]
    }

    func run() throws {
        let store = try store.open()
        defer { store.close() }
        var images = try store.listImages()
        if let template {
            let path = URL(fileURLWithPath: template).standardizedFileURL.path
            images = images.filter { $0.template == path }
        }
        switch format {
        case .json:
            let document = Document(
                store: store.path,
                images: images.map {
                    Document.Image(
                        name: $0.name, architecture: $0.architecture, manifestDigest: $0.manifestDigest, size: $0.size,
                        stored: $0.stored.map(TimeText.timestamp), template: $0.template)
                })
            print(JSONText.encode(document))
        case .text:
            let rows =
                [["NAME", "ARCH", "SIZE", "STORED", "TEMPLATE"]]
                + images.map { image in
                    [
                        image.name, image.architecture,
                        ByteCountFormatter.string(fromByteCount: image.size, countStyle: .binary),
                        image.stored.map { TimeText.age(of: $0) } ?? "-", image.template ?? "-",
                    ]
                }
            print(TableText.render(rows), terminator: "")
            print("\(images.count) image(s) in \(store.path)")
        }
    }
}
