import PrewarmSupport

/// The checks of one ``Doctor`` run, in order: one per thing a build needs (the engine, each emulator, the
/// base images, the layer cache, AWS credentials, the journal, the clock, free disk space).
///
/// A check's `detail` is a library message: a setting it tells the reader to change is kept as a value
/// (a ``Setting``), for the program to spell its own way; encoded, it is named by its `Setting.mention`.
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
        /// What was found, and what to do when the check did not pass, with the settings it mentions as values.
        public var text: Message

        public init(name: String, state: State, detail: Message) {
            self.name = name
            self.state = state
            self.text = detail
        }

        /// ``text``, each setting named by its `Setting.mention`.
        public var detail: String { text.description }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(state, forKey: .state)
            try container.encode(detail, forKey: .detail)
        }

        private enum CodingKeys: String, CodingKey {
            case name, state, detail
        }
    }

    public var checks: [Check] = []

    public init(checks: [Check] = []) {
        self.checks = checks
    }

    /// Whether a check failed, so that a build would fail too.
    public var blocks: Bool { checks.contains { $0.state == .failed } }

    mutating func pass(_ name: String, _ detail: Message) {
        checks.append(Check(name: name, state: .ok, detail: detail))
    }
    mutating func warn(_ name: String, _ detail: Message) {
        checks.append(Check(name: name, state: .warning, detail: detail))
    }
    mutating func fail(_ name: String, _ detail: Message) {
        checks.append(Check(name: name, state: .failed, detail: detail))
    }
}
