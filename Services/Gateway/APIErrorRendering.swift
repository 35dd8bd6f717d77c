import Errors
import HTTP

/// Turns a throwing route handler into an `HTTPHandler` whose errors are rendered in one
/// API's own envelope.
///
/// Each adapter passes its view's `error(_:)`, so a thrown `ClienteleError`, `HTTPError` or
/// validation failure becomes that API's error body with the shared status mapping, and
/// nothing thrown escapes to the server's generic 500. An error that advises when to retry
/// (`RetryAfterAdvising`: a throttled login, a full password-hash queue, an address past
/// its unknown-API-key budget) adds its `Retry-After`, whichever API answers; every other 503
/// (a dependency down or restarting) adds `Retry-After: 1`.
///
/// A write whose dependency did not answer in time (`deadlineExceeded`) may or may not have
/// been applied: it answers 503 to retry (with the same `Idempotency-Key` where the API takes
/// one), never a 504. A read that timed out stays a 504.
enum APIErrorRendering {
    static func wrap(_ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse,
                     rendering render: @escaping @Sendable (any Error) -> HTTPResponse) -> HTTPHandler {
        { request in
            do {
                return try await handler(request)
            } catch {
                var response = render(unconfirmedWrite(error, method: request.method))
                if let advice = error as? any RetryAfterAdvising {
                    response.headers.replaceOrAdd(name: "Retry-After", value: String(max(1, advice.retryAfterSeconds)))
                } else if response.status == .serviceUnavailable {
                    response.headers.replaceOrAdd(name: "Retry-After", value: "1")
                }
                return response
            }
        }
    }

    /// `error`, or for a write that timed out, the `unavailable` error its caller should see.
    static func unconfirmedWrite(_ error: any Error, method: HTTPMethod) -> any Error {
        guard method != .GET, method != .HEAD, method != .OPTIONS,
              let convertible = error as? any ClienteleErrorConvertible,
              convertible.clienteleError.code == .deadlineExceeded else { return error }
        return ClienteleError(.unavailable, "The write could not be confirmed in time; retry",
                              internalDetail: convertible.clienteleError.internalDetail)
    }
}
