import Errors
import HTTP

/// Turns a throwing route handler into an `HTTPHandler` whose errors are rendered in one
/// API's own envelope.
///
/// Each adapter passes its view's `error(_:)`, so a thrown `ClienteleError`, `HTTPError` or
/// validation failure becomes that API's error body with the shared status mapping, and
/// nothing thrown escapes to the server's generic 500. An error that advises when to retry
/// (`RetryAfterAdvising`: a throttled login, a full password-hash queue, an address past
/// its unknown-API-key budget) adds `Retry-After`, whichever API answers.
enum APIErrorRendering {
    static func wrap(_ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse,
                     rendering render: @escaping @Sendable (any Error) -> HTTPResponse) -> HTTPHandler {
        { request in
            do {
                return try await handler(request)
            } catch {
                var response = render(error)
                if let advice = error as? any RetryAfterAdvising {
                    response.headers.replaceOrAdd(name: "Retry-After", value: String(max(1, advice.retryAfterSeconds)))
                }
                return response
            }
        }
    }
}
