import Foundation
import PrewarmArchive
import PrewarmHTTP
import PrewarmOCI
import PrewarmSupport

// Requests to the engine, and how their failures become `EngineError`s (transient or not).
extension DockerEngine {
    func url(_ path: String) -> String {
        "\(endpoint.baseURL)/v\(apiVersion)\(path)"
    }

    // Engine requests are sent once by prewarm: a lost connection, a timeout or a 5xx/429 answer becomes a
    // transient `EngineError`, and the scheduler does the whole node again (`--retries`), which first asks
    // whether the engine has the image after all. A `POST /build` or `/images/load` cut off midway may have
    // done part of its work, so it is not resent on its own, and retrying here as well would multiply the
    // scheduler's retries. (libcurl itself may resend a request whose reused keep-alive connection turns out
    // to be closed before any answer, on a fresh connection.)

    func send(_ request: HTTPRequest, doing action: String) async throws -> HTTPResponse {
        do {
            return try await client.execute(request)
        } catch let error as HTTPError {
            throw unavailable(error, doing: action)
        }
    }

    func stream(_ request: HTTPRequest, doing action: String) async throws -> HTTPStreamingResponse {
        let response: HTTPStreamingResponse
        do {
            response = try await client.stream(request)
        } catch let error as HTTPError {
            throw unavailable(error, doing: action)
        }
        guard response.isSuccess else {
            var body = Data()
            for try await chunk in response.body where body.count < 64 * 1024 { body.append(chunk) }
            throw EngineError(
                .engine, "cannot \(action): \(Self.message(in: body) ?? "HTTP \(response.status)")",
                transient: HTTPError.isTransient(status: response.status))
        }
        return response
    }

    /// The engine could not be reached, or the connection was lost: transient when `error` is.
    func unavailable(_ error: HTTPError, doing action: String) -> EngineError {
        EngineError(
            .engineUnavailable, "cannot \(action) at \(endpoint): \(error.message)", transient: error.isTransient)
    }

    /// The engine answered `response`, not a success: transient for 5xx and 429 (see
    /// `HTTPError.transientStatuses`), not for a refusal.
    func engineError(_ response: HTTPResponse, doing action: String) -> EngineError {
        EngineError(
            .engine, "cannot \(action) at \(endpoint): \(Self.message(in: response.body) ?? "HTTP \(response.status)")",
            transient: HTTPError.isTransient(status: response.status))
    }
}
