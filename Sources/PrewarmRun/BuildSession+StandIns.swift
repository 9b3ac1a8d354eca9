import Foundation
import PrewarmImage
import PrewarmSupport
import PrewarmTemplate

// Images built on what the template brings (`Metadata.Prewarm`): kept out of the places a later build
// of another template, and `sam local`, take images from by their names, unless the user names one.
extension BuildSession.Planned {
    /// Whether the template brings its own base images (`Metadata.Prewarm.BaseImages`) or, with no
    /// `emulatorDirectory` given, its own emulator (`Metadata.Prewarm.EmulatorDirectory`). Such bases and
    /// emulators may be stand-ins (the quickstart's are), so their images get a store of their own.
    package var templateSuppliesImages: Bool {
        plan.settings.baseImages != nil
            || (configuration.inputs.emulatorDirectory == nil && plan.settings.emulatorDirectory != nil)
    }

    /// The OCI store of this build: `ociStore` when given; else, for a template that brings its own
    /// bases or emulator, `.prewarm/oci` in its project directory (beside the journal); else the default,
    /// `$XDG_CACHE_HOME/prewarm/oci` or `~/.cache/prewarm/oci`.
    package var ociStorePath: String {
        guard configuration.engineSelection.ociStore == nil, templateSuppliesImages else {
            return configuration.resolvedOCIStore
        }
        return URL(fileURLWithPath: TemplateLocation.projectDirectory(of: plan.template))
            .appendingPathComponent(".prewarm/oci").path
    }

    /// Whether the emulator directory of this build (`emulatorDirectory`, else the template's) holds
    /// ``StandIn/emulatorMarker``.
    var emulatorIsStandIn: Bool {
        guard let directory = configuration.inputs.emulatorDirectory ?? plan.settings.emulatorDirectory else {
            return false
        }
        return FileManager.default.fileExists(atPath: directory + "/" + StandIn.emulatorMarker)
    }

    /// Whether what the template brings is marked a stand-in: its emulator (``emulatorIsStandIn``), or one of
    /// `bases` (its base images, as provided).
    func suppliesStandIns(bases: [EngineImage]) -> Bool {
        (configuration.inputs.emulatorDirectory == nil && emulatorIsStandIn) || bases.contains(where: \.isStandIn)
    }

    /// The line for images built on stand-ins that go, as the user asked, into a Docker engine under the
    /// names `sam local` looks up (`names`): what they are and how to remove them.
    func standInNote(names: [String]) -> Message {
        """
        the images going into the Docker engine are built on the template's stand-ins (Metadata.Prewarm) and \
        cannot run handlers; remove them with `docker rmi \(names.sorted().joined(separator: " "))`
        """
    }
}
