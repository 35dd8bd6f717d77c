import Crypto
import HTTP

/// Gives each request its ids before the handler runs, and echoes them in the response.
///
/// The request id comes from `X-Request-Id` when the caller sent a sane one, else it is new.
/// The correlation id comes from `X-Correlation-Id`, else the trace id of a W3C
/// `traceparent`, else the request id; it is what follows a user's action across services.
/// The trace (`LogContext.trace`) continues the caller's `traceparent` with a span of this
/// service's own, or starts a new trace; calls made while handling the request pass it on
/// (`HTTPHeaders.addRequestContext()`).
public enum RequestContext {
    /// Wraps `handler` so it runs with `LogContext` set and the ids in the response headers.
    public static func wrap(_ handler: @escaping HTTPHandler) -> HTTPHandler {
        { request in
            let requestId = sanitizedId(request.headers["x-request-id"]) ?? IdentifierRandom.token(byteCount: 12)
            let incoming = request.headers["traceparent"]
            let trace = TraceContext.continuing(incoming)
            let correlationId = sanitizedId(request.headers["x-correlation-id"])
                ?? (trace.parentSpanId != nil ? trace.traceId : nil)
                ?? requestId
            return try await LogContext.$requestId.withValue(requestId) {
                try await LogContext.$correlationId.withValue(correlationId) {
                    try await LogContext.$trace.withValue(trace) {
                        var response = try await handler(request)
                        response.headers.replaceOrAdd(name: "X-Request-Id", value: requestId)
                        response.headers.replaceOrAdd(name: "X-Correlation-Id", value: correlationId)
                        return response
                    }
                }
            }
        }
    }

    /// An id a caller supplied, if it is 1 to 128 characters of `[A-Za-z0-9._-]`.
    static func sanitizedId(_ value: String?) -> String? {
        guard let value, !value.isEmpty, value.utf8.count <= 128 else { return nil }
        let allowed = value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == 0x2d || byte == 0x2e || byte == 0x5f
        }
        return allowed ? value : nil
    }

    /// The 32-hex-digit trace id of a valid `traceparent` header (see `TraceContext.parse`).
    static func traceId(fromTraceparent value: String?) -> String? {
        TraceContext.parse(value)?.traceId
    }
}
