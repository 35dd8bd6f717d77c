import Foundation
import JSON

extension HTTPResponse {
    /// A JSON response encoding `value`; an encoding failure yields a generic 500.
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok) -> HTTPResponse {
        if let value = value as? JSONValue { return json(status: status, object: value) }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(value)
            return HTTPResponse(status: status, headers: jsonHeaders, body: Array(data))
        } catch {
            return HTTPResponse(error: error)
        }
    }

    /// A JSON response with a dynamic body, serialised without `JSONEncoder`.
    public static func json(status: HTTPStatus, object: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, headers: jsonHeaders, body: object.serialized())
    }

    /// A JSON response whose text is already written (`JSONWriter`).
    public static func json(status: HTTPStatus, body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: jsonHeaders, body: body)
    }

    static let jsonHeaders: HTTPHeaders = ["Content-Type": "application/json"]
}
