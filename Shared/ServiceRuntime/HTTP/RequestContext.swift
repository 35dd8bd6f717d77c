import Crypto
import HTTP

/// Gives each request its ids before the handler runs, and echoes them in the response.
///
/// The request id comes from `X-Request-Id` when the caller sent a sane one, else it is new.
/// The correlation id comes from `X-Correlation-Id`, else the trace id of a W3C
/// `traceparent`, else the request id; it is what follows a user's action across services.
public enum RequestContext {
    /// Wraps `handler` so it runs with `LogContext` set and the ids in the response headers.
    public static func wrap(_ handler: @escaping HTTPHandler) -> HTTPHandler {
        { request in
            let requestId = sanitizedId(request.headers["x-request-id"]) ?? SecureRandom.token(byteCount: 12)
            let correlationId = sanitizedId(request.headers["x-correlation-id"])
                ?? traceId(fromTraceparent: request.headers["traceparent"])
                ?? requestId
            return try await LogContext.$requestId.withValue(requestId) {
                try await LogContext.$correlationId.withValue(correlationId) {
                    var response = try await handler(request)
                    response.headers.replaceOrAdd(name: "X-Request-Id", value: requestId)
                    response.headers.replaceOrAdd(name: "X-Correlation-Id", value: correlationId)
                    return response
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

    /// The 32-hex-digit trace id of a version-00 `traceparent` header, if well formed.
    static func traceId(fromTraceparent value: String?) -> String? {
        guard let value else { return nil }
        let parts = value.split(separator: "-")
        guard parts.count == 4, parts[0].count == 2, parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
              parts[1].utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
              parts[1] != "00000000000000000000000000000000" else { return nil }
        return String(parts[1])
    }
}
