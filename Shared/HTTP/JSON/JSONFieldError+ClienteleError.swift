import Errors
import JSON

/// `clienteleError` renders a `JSONFieldError` exactly as `HTTPRequest.decodeJSON` renders
/// the matching `DecodingError` (same message, `field` context), so moving a type from
/// `JSONDecoder` to `JSONObjectReader` does not change what callers see.
extension JSONFieldError {
    /// The `.invalidArgument` error a request with this problem gets, naming the field.
    public var clienteleError: ClienteleError {
        let field = path.isEmpty ? "$" : path
        switch kind {
        case .missing:
            return ClienteleError(.invalidArgument, "Missing field '\(field)'", context: ["field": field])
        case .wrongType(let expected):
            return ClienteleError(.invalidArgument, "Field '\(field)' must be \(expected.rawValue)", context: ["field": field])
        case .null(let expected):
            return ClienteleError(.invalidArgument, "Field '\(field)' must be \(expected.rawValue), not null", context: ["field": field])
        case .invalidValue where !path.isEmpty:
            return ClienteleError(.invalidArgument, "Field '\(field)' has an invalid value", context: ["field": field],
                                  internalDetail: detail)
        case .invalidValue, .invalidJSON:
            return ClienteleError(.invalidArgument, "Request body is not valid JSON", context: ["field": "$"],
                                  internalDetail: detail)
        }
    }
}
