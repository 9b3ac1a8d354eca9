import Dispatch
import Foundation
import PrewarmSupport

/// Turns the first SIGINT or SIGTERM into cancellation of a task, so that a run stops starting
/// work, lets the journal record what finished and exits 130; a second signal exits at once.
final class InterruptHandler: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let received = Locked(false)

    /// Starts handling the signals, calling `cancel` on the first one; `say` writes the line that tells
    /// the user (a live view passes its own, which keeps the view whole).
    init(say: @escaping @Sendable (Message) -> Void = { Console.write($0) }, cancel: @escaping @Sendable () -> Void) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                let again = self.received.withLock { received in
                    defer { received = true }
                    return received
                }
                if again {
                    Console.error("interrupted again; exiting without waiting")
                    Termination.exit(ExitStatus.interrupted.rawValue)
                }
                say("prewarm: warning: interrupted: finishing the journal; press Ctrl-C again to exit at once")
                cancel()
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Whether a signal arrived.
    var wasInterrupted: Bool {
        received.withLock { $0 }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
