import ArgumentParser
import Foundation
import PrewarmPlan
import PrewarmRun

/// `prewarm doctor`: checks, one line each, what a build of the template needs (the checks are the
/// library's `Doctor`; this command maps the flags and prints the report).
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check what a build needs: the engine, the emulator, base images, caches, credentials, clock, disk.",
        discussion: """
            One line per check: ✓ fine, ! worth knowing, ✗ blocks a build (with what to do). Takes the \
            engine, emulator and layer options of prewarm build, so it checks the build you would run.

            Examples:
              prewarm doctor
              prewarm doctor template.yaml --docker-host unix:///run/user/1000/podman/podman.sock

            Exit codes: 0 nothing blocks a build; 1 something does; 2 unusable input (template, flags).
            """)

    @OptionGroup var inputs: BuildInputOptions

    @Option(help: "Output format: text (a line per check) or json.")
    var format: ReportFormat = .text

    /// The build these flags would run, as the library takes it.
    func configuration() throws -> BuildConfiguration {
        try inputs.configuration()
    }

    func run() async throws {
        let report = try await Doctor(try configuration()).run()
        // The library names settings by their mention; the command line spells them as its flags.
        let checks = report.checks.map { check in
            DoctorJSON.Check(name: check.name, state: check.state, detail: SettingFlags.render(check.text))
        }
        switch format {
        case .json:
            print(JSONText.line(DoctorJSON(ok: !report.blocks, checks: checks)))
        case .text:
            for check in checks { print(Self.line(check)) }
        }
        if report.blocks { throw ExitStatus.partialFailure.exitCode }
    }

    /// `✓ engine: docker at …`: the check's mark, name and detail.
    static func line(_ check: DoctorJSON.Check) -> String {
        let mark =
            switch check.state {
            case .ok: "✓"
            case .warning: "!"
            case .failed: "✗"
            }
        return "\(mark) \(check.name): \(check.detail)"
    }
}

/// `prewarm doctor --format json`.
struct DoctorJSON: Encodable {
    var schemaVersion = JSONSchema.version
    var ok: Bool
    var checks: [Check]

    /// A check, its detail spelled with flags.
    struct Check: Encodable {
        var name: String
        var state: DoctorReport.State
        var detail: String
    }
}
