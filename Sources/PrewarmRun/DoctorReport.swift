/// The checks of one ``Doctor`` run, in order: one per thing a build needs (the engine, each emulator, the
/// base images, the layer cache, AWS credentials, the journal, the clock, free disk space).
///
/// A check's `detail` is a library message: a setting it tells the reader to change is written as its
/// `Setting.mention`, for the program to spell its own way.
public struct DoctorReport: Sendable, Encodable {
    /// How a check came out.
    public enum State: String, Sendable, Encodable {
        /// Fine.
        case ok
        /// Worth knowing, but no reason for a build to fail.
        case warning
        /// Blocks a build; the detail says what to do.
        case failed
    }

    /// One check: what was checked (`engine`, `emulator`, …), how it came out, and what was found.
    public struct Check: Sendable, Encodable, Hashable {
        public var name: String
        public var state: State
        public var detail: String

        public init(name: String, state: State, detail: String) {
            self.name = name
            self.state = state
            self.detail = detail
        }
    }

    public var checks: [Check] = []

    public init(checks: [Check] = []) {
        self.checks = checks
    }

    /// Whether a check failed, so that a build would fail too.
    public var blocks: Bool { checks.contains { $0.state == .failed } }

    mutating func pass(_ name: String, _ detail: String) {
        checks.append(Check(name: name, state: .ok, detail: detail))
    }
    mutating func warn(_ name: String, _ detail: String) {
        checks.append(Check(name: name, state: .warning, detail: detail))
    }
    mutating func fail(_ name: String, _ detail: String) {
        checks.append(Check(name: name, state: .failed, detail: detail))
    }
}
