import CCurl
import Foundation
import PrewarmSupport

/// The thread that runs every transfer of one ``HTTPClient``: one libcurl multi handle, driven by
/// `curl_multi_perform` and `curl_multi_poll`, woken by `curl_multi_wakeup` when a task hands it work.
///
/// Every libcurl call of the client happens on this thread, so no Swift task ever blocks in libcurl and
/// a thousand waiting requests cost a thousand suspended continuations, not a thousand threads.
/// Everything but `submit` and `requestStop` is confined to the thread.
final class CurlMultiLoop: @unchecked Sendable {
    enum Command {
        case start(CurlTransfer)
        case cancel(CurlTransfer)
        case resume(CurlTransfer)
    }

    private struct Shared {
        var commands: [Command] = []
        var stopRequested = false
        var terminated = false
    }

    private let shared = Locked(Shared())
    /// `nil` when libcurl could not be set up; every transfer then fails with `startupFailure`.
    private let multi: UnsafeMutableRawPointer?
    private let startupFailure: String?
    /// The transfers whose easy handles are in the multi handle, by easy handle.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(maxConnectionsPerHost: Int?) {
        let globalResult = curlGlobalInitialization
        if globalResult != CURLE_OK {
            multi = nil
            startupFailure = "libcurl could not be initialised: \(String(cString: curl_easy_strerror(globalResult)))"
        } else if let handle = curl_multi_init() {
            multi = handle
            startupFailure = nil
            if let maxConnectionsPerHost {
                _ = ccurl_multi_setopt_long(handle, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
            }
        } else {
            multi = nil
            startupFailure = "libcurl could not create a multi handle"
        }
        guard multi != nil else {
            shared.withLock { $0.terminated = true }
            return
        }
        let thread = Thread { [self] in run() }
        thread.name = "prewarm-http"
        thread.start()
    }

    /// Hands a command to the thread. A transfer submitted after the loop stopped fails at once.
    func submit(_ command: Command) {
        let accepted = shared.withLock { shared -> Bool in
            guard !shared.terminated, let multi else { return false }
            shared.commands.append(command)
            _ = curl_multi_wakeup(multi)
            return true
        }
        guard !accepted, case .start(let transfer) = command else { return }
        let reason = startupFailure ?? "the HTTP client was shut down before the request started"
        transfer.finish(.failure(HTTPError(.cancelled, reason, request: transfer.summary)))
    }

    /// Lets the thread end once the transfers it has are done.
    func requestStop() {
        shared.withLock { shared in
            shared.stopRequested = true
            if let multi, !shared.terminated { _ = curl_multi_wakeup(multi) }
        }
    }

    // MARK: The thread

    private func run() {
        guard let multi else { return }
        while true {
            let commands = shared.withLock { shared in
                defer { shared.commands = [] }
                return shared.commands
            }
            for command in commands { handle(command, multi: multi) }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinishedTransfers(multi: multi)
            let done = shared.withLock { shared -> Bool in
                guard shared.stopRequested, shared.commands.isEmpty, active.isEmpty else { return false }
                shared.terminated = true
                return true
            }
            if done { break }
            var readyDescriptors: Int32 = 0
            _ = curl_multi_poll(multi, nil, 0, 1000, &readyDescriptors)
        }
        curl_multi_cleanup(multi)
    }

    private func handle(_ command: Command, multi: UnsafeMutableRawPointer) {
        switch command {
        case .start(let transfer):
            if transfer.isCancelRequested {
                transfer.finish(.failure(CancellationError()))
                return
            }
            do {
                let easy = try transfer.prepare()
                let added = curl_multi_add_handle(multi, easy)
                guard added == CURLM_OK else {
                    let reason = String(cString: curl_multi_strerror(added))
                    transfer.finish(.failure(HTTPError(.transport, reason, request: transfer.summary)))
                    return
                }
                active[easy] = transfer
            } catch {
                transfer.finish(.failure(error))
            }
        case .cancel(let transfer):
            guard let easy = transfer.easy, active[easy] === transfer else { return }
            active[easy] = nil
            curl_multi_remove_handle(multi, easy)
            transfer.finish(.failure(CancellationError()))
        case .resume(let transfer):
            guard let easy = transfer.easy, active[easy] === transfer else { return }
            _ = curl_easy_pause(easy, CURLPAUSE_CONT)
        }
    }

    private func collectFinishedTransfers(multi: UnsafeMutableRawPointer) {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let result = message.pointee.data.result
            curl_multi_remove_handle(multi, easy)
            active.removeValue(forKey: easy)?.complete(result)
        }
    }
}

/// How a task reaches a transfer that runs on the loop's thread.
struct TransferControl: Sendable {
    let loop: CurlMultiLoop
    let transfer: CurlTransfer

    /// Aborts the transfer; it finishes with `CancellationError`. Does nothing once it has finished.
    func cancel() {
        transfer.requestCancel()
        loop.submit(.cancel(transfer))
    }

    /// Resumes a transfer that paused because its reader fell behind.
    func resume() {
        loop.submit(.resume(transfer))
    }
}

/// `curl_global_init`, once per process, before the first handle.
private let curlGlobalInitialization: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))
