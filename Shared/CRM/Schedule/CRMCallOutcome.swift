import Foundation

/// How a call to a company's CRM ended, as the schedule needs to know it.
public enum CRMCallOutcome: Sendable, Equatable {
    /// 2xx: every change of the batch is in the CRM. `objectIds` maps each upserted client's
    /// id (lowercase text) to the CRM's record id, which a later archive needs.
    case accepted(objectIds: [String: String])
    /// 207 to an upsert: the CRM took some inputs and refused the others as they are. The
    /// clients in `objectIds` (the answer's `results`) are in the CRM; the rest are not, and
    /// `answer` holds the CRM's errors (cut like a rejection's).
    case partial(objectIds: [String: String], answer: String)
    /// 429: the CRM asks to slow down; `retryAfter` is its `Retry-After` when it gave one.
    case rateLimited(retryAfter: Duration?)
    /// 5xx, a time-out or a connection failure: the same request may succeed later.
    case transient(reason: String)
    /// Another 4xx: the CRM refuses this request as it is; sending it again will not help.
    case rejected(status: Int, answer: String)
    /// The request was never sent because the company's configuration forbids it (an
    /// address that is not allowed, no token): like `transient`, but it names the cause.
    case refused(reason: String)

    /// The outcome of an answer with `status`, `Retry-After` header value `retryAfter` and
    /// body `answer` (kept, cut to `maxAnswerCharacters`, for the dead letter).
    ///
    /// With `absentIsDone` (a gdpr-delete), a 404 whose answer is HubSpot's
    /// `"category": "OBJECT_NOT_FOUND"` is `accepted`: the CRM holds no such contact (it never
    /// had the client, or deleted it already), which is what the delete was for. Any other 404
    /// (a wrong address, say) stays a rejection.
    public static func classify(status: Int, retryAfter: String?, answer: String, objectIds: [String: String] = [:],
                                absentIsDone: Bool = false, maxAnswerCharacters: Int = 2000) -> CRMCallOutcome {
        if absentIsDone, status == 404, HubSpotContacts.isObjectNotFound(answer) { return .accepted(objectIds: [:]) }
        return switch status {
        case 207: .partial(objectIds: objectIds, answer: String(answer.prefix(maxAnswerCharacters)))
        case 200..<300: .accepted(objectIds: objectIds)
        case 429: .rateLimited(retryAfter: retryAfter.flatMap(parseRetryAfter))
        case 500..<600, 408: .transient(reason: "HTTP \(status)")
        default: .rejected(status: status, answer: String(answer.prefix(maxAnswerCharacters)))
        }
    }

    /// `Retry-After` as delta-seconds (HubSpot sends seconds); nil for anything else, which
    /// then falls back to the backoff.
    static func parseRetryAfter(_ value: String) -> Duration? {
        guard let seconds = Int64(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 else { return nil }
        return .seconds(seconds)
    }
}
