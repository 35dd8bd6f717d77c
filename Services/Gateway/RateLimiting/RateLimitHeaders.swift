import HTTP
import Synchronization

/// Carries the rate-limit decision of the request being handled to its response.
///
/// The authenticators count a request once they know its principal (`RateLimiter.enforce`),
/// deep inside a handler; `wrap` (installed for every gateway route as route middleware)
/// gives each request a slot for that decision and, once the handler has answered, adds the
/// `RateLimit-*` headers (and `Retry-After` on a refusal) to whatever it answered: success,
/// error or 429. Requests that never authenticated get no headers.
enum RateLimitHeaders {
    /// One request's decision; a later one (a second authentication) replaces an earlier one.
    final class Slot: Sendable {
        let decision = Mutex<RateLimitDecision?>(nil)
    }

    @TaskLocal static var current: Slot?

    /// `handler` with a slot set while it runs and the headers of its decision added after.
    /// A thrown error becomes its response here (`HTTPResponse(error:)`, as the server would
    /// do) so that it gets the headers too.
    static func wrap(_ handler: @escaping HTTPHandler) -> HTTPHandler {
        { request in
            let slot = Slot()
            var response: HTTPResponse
            do {
                response = try await $current.withValue(slot) { try await handler(request) }
            } catch {
                response = HTTPResponse(error: error)
            }
            if let decision = slot.decision.withLock({ $0 }) { decision.addHeaders(to: &response.headers) }
            return response
        }
    }

    /// Records `decision` for the response of the request being handled (nothing outside
    /// `wrap`).
    static func record(_ decision: RateLimitDecision) {
        current?.decision.withLock { $0 = decision }
    }
}
