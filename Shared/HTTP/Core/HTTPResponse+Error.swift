import Errors
import Foundation
import JSON

extension HTTPResponse {
    /// The one mapping from errors to HTTP responses.
    ///
    /// `HTTPError` keeps its exact status; `ClienteleError` (or a convertible error) maps its
    /// code to a status and shows `message` and `context`; anything else becomes a generic
    /// 500 whose body never includes the error's description. The body is
    /// `{"error": code, "message": message, ...context}` (context cannot override the two).
    public init(error: any Error) {
        let status: HTTPStatus
        let code: String
        let message: String
        let context: [String: String]
        if let error = error as? HTTPError {
            (status, code, message, context) = (error.status, error.code, error.message, error.context)
        } else if let convertible = error as? any ClienteleErrorConvertible {
            let error = convertible.clienteleError
            status = HTTPResponse.status(for: error.code)
            (code, message, context) = (error.code.rawValue, error.message, error.context)
        } else {
            (status, code, message, context) = (.internalServerError, "internal", "Internal server error", [:])
        }
        var object: [String: JSONValue] = [:]
        for (key, value) in context { object[key] = .string(value) }
        object["error"] = .string(code)
        object["message"] = .string(message)
        self = .json(status: status, object: .object(object))
    }

    /// The HTTP status for a `ClienteleError` code (500 for codes not listed).
    public static func status(for code: ClienteleError.Code) -> HTTPStatus {
        switch code {
        case .invalidArgument: return .badRequest
        case .unauthenticated: return .unauthorized
        case .permissionDenied: return .forbidden
        case .notFound: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
        case .conflict: return .conflict
        case .preconditionFailed: return .preconditionFailed
        case .payloadTooLarge: return .payloadTooLarge
        case .unsupportedMediaType: return .unsupportedMediaType
        case .unprocessable: return .unprocessableContent
        case .resourceExhausted: return .tooManyRequests
        case .notImplemented: return .notImplemented
        case .unavailable: return .serviceUnavailable
        case .deadlineExceeded: return .gatewayTimeout
        default: return .internalServerError
        }
    }
}
