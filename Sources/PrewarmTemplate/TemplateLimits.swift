import Foundation
import PrewarmSupport

/// Caps on how far a template may expand through its nested stacks.
///
/// A stack that includes the same child twice, whose template includes the next one twice,
/// doubles with every level: 20 levels of small files are a million stacks. The loader stops
/// at the first cap it passes, with an error that names the cap and its value, instead of
/// running until memory runs out. A user with a template this large raises the cap.
public struct TemplateLimits: Sendable, Hashable {
    /// One of the caps, for error messages and for a command line to say how to raise it.
    public enum Limit: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Nested stacks read, counting a template once for every place it is used.
        case stacks
        /// Functions read, in every stack.
        case functions
        /// Nested stacks inside one another.
        case stackDepth

        public var description: String {
            switch self {
            case .stacks: "nested stacks"
            case .functions: "functions"
            case .stackDepth: "levels of nested stacks"
            }
        }
    }

    /// The most nested stacks a template may expand to.
    public var stacks: Int
    /// The most functions a template (with its nested stacks) may hold.
    public var functions: Int
    /// The most levels of nested stacks inside one another.
    public var stackDepth: Int

    /// The defaults: far above any real application (CloudFormation allows 500 resources per
    /// stack), low enough that reading stops within seconds.
    public init(stacks: Int = 2_000, functions: Int = 50_000, stackDepth: Int = 32) {
        self.stacks = stacks
        self.functions = functions
        self.stackDepth = stackDepth
    }

    /// The value of `limit`.
    public subscript(limit: Limit) -> Int {
        switch limit {
        case .stacks: stacks
        case .functions: functions
        case .stackDepth: stackDepth
        }
    }

    /// The error for a template that goes past `limit`, at `location`.
    static func exceeded(_ limit: Limit, _ value: Int, at location: SourceLocation?) -> TemplateError {
        var error = TemplateError(
            .limit, "the template expands to more than \(value) \(limit)", at: location,
            hint: limit == .stackDepth
                ? "raise the limit if the stacks really nest this deep"
                : "a nested template counts once for every place it is used; raise the limit if the template "
                    + "really is this large")
        error.exceededLimit = limit
        return error
    }
}

/// What a template has used of its `TemplateLimits`, shared by the concurrent readers of its
/// nested stacks.
final class ExpansionBudget: Sendable {
    let limits: TemplateLimits
    /// Stacks and functions counted so far.
    private let counts = Locked((stacks: 0, functions: 0))

    init(limits: TemplateLimits) {
        self.limits = limits
    }

    /// Counts one more nested stack, at `depth` levels below the root.
    ///
    /// - Throws: `TemplateError` with code `.limit` once a cap is passed.
    func addStack(depth: Int, at location: SourceLocation) throws {
        if depth > limits.stackDepth { throw TemplateLimits.exceeded(.stackDepth, limits.stackDepth, at: location) }
        let total = counts.withLock { counts in
            counts.stacks += 1
            return counts.stacks
        }
        if total > limits.stacks { throw TemplateLimits.exceeded(.stacks, limits.stacks, at: location) }
    }

    /// Counts `count` more functions.
    ///
    /// - Throws: `TemplateError` with code `.limit` once the cap is passed.
    func addFunctions(_ count: Int, at location: SourceLocation) throws {
        let total = counts.withLock { counts in
            counts.functions += count
            return counts.functions
        }
        if total > limits.functions { throw TemplateLimits.exceeded(.functions, limits.functions, at: location) }
    }
}
