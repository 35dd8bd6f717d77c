import Errors
import Foundation

/// A protocol-level error with an exact HTTP status (413, 415, 408, ...).
///
/// `ClienteleError` codes cover application failures; statuses that only HTTP knows use
/// this type. `HTTPResponse(error:)` uses `status` as is; other layers see the nearest
/// `ClienteleError` through `clienteleError`.
public struct HTTPError: Error, Sendable, Equatable, ClienteleErrorConvertible, CustomStringConvertible {
    public var status: HTTPStatus
    /// The stable code in the JSON body's `error` field.
    public var code: String
    public var message: String
    public var context: [String: String]

    public init(status: HTTPStatus, code: String, message: String, context: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.context = context
    }

    /// The code of the router's 404 for a path no route matches.
    public static let noRouteCode = "no_route"

    /// An error for `status` with the code derived from its number.
    public init(status: HTTPStatus, message: String, context: [String: String] = [:]) {
        self.init(status: status, code: HTTPError.code(for: status.code), message: message, context: context)
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public var clienteleError: ClienteleError {
        let mapped: ClienteleError.Code
        switch status.code {
        case 401: mapped = .unauthenticated
        case 403: mapped = .permissionDenied
        case 404: mapped = .notFound
        case 405: mapped = .methodNotAllowed
        case 409: mapped = .conflict
        case 412: mapped = .preconditionFailed
        case 413, 429: mapped = .resourceExhausted
        case 422: mapped = .unprocessable
        case 400..<500: mapped = .invalidArgument
        case 501, 505: mapped = .notImplemented
        case 503: mapped = .unavailable
        case 504: mapped = .deadlineExceeded
        default: mapped = .internal
        }
        return ClienteleError(mapped, message, context: context)
    }

    public static func payloadTooLarge(limit: Int) -> HTTPError {
        HTTPError(status: .payloadTooLarge, message: "Request body exceeds \(limit) bytes",
                  context: ["limit": String(limit)])
    }

    static func code(for status: Int) -> String {
        switch status {
        case 400: return "invalid_argument"
        case 401: return "unauthenticated"
        case 403: return "permission_denied"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 409: return "conflict"
        case 411: return "length_required"
        case 412: return "precondition_failed"
        case 413: return "payload_too_large"
        case 414: return "uri_too_long"
        case 415: return "unsupported_media_type"
        case 422: return "unprocessable"
        case 429: return "resource_exhausted"
        case 431: return "request_header_fields_too_large"
        case 501: return "not_implemented"
        case 503: return "unavailable"
        case 504: return "deadline_exceeded"
        case 505: return "http_version_not_supported"
        default: return status >= 500 ? "internal" : "invalid_argument"
        }
    }
}

extension HTTPParseError {
    /// The parse error as an `HTTPError` for the response body.
    var httpError: HTTPError { HTTPError(status: status, message: reason) }
}
