import Foundation
import PrewarmHTTP
import PrewarmSupport
import Testing

@testable import PrewarmImage

/// An engine's error says whether the scheduler may do its node again, and is a `PrewarmError`.
@Suite struct EngineErrorTests {
    @Test func onlyWhatTheThrowerCallsTransientIsWorthRetrying() {
        #expect(!(EngineError(.buildFailed, "the build failed") as any Error).isWorthRetrying)
        let lost = EngineError(.engineUnavailable, "the engine went away", transient: true)
        #expect((lost as any Error).isWorthRetrying)
        #expect(RetryPolicy.default.isTransient(lost))
        #expect((lost as any Error) is any PrewarmError)
        #expect(
            EngineError(.io, "cannot read x", cause: POSIXError(.ENOENT)).description
                == "cannot read x: \(systemErrorMessage(ENOENT))")
    }
}
