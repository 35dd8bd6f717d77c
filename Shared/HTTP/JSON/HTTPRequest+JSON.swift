import Errors
import Foundation
import JSON

extension HTTPRequest {
    /// Collects the body (at most `maxBytes`) and decodes it as JSON.
    ///
    /// Throws `HTTPError` 415 unless `Content-Type` is `application/json` or `*/*+json`,
    /// `HTTPError` 413 if the body is larger than `maxBytes`, and
    /// `ClienteleError(.invalidArgument)` naming the offending field (context `field`) when
    /// the JSON is malformed or does not fit `type`. `decoder` sets date and key strategies
    /// (the internal APIs pass theirs).
    public func decodeJSON<T: Decodable>(_ type: T.Type, maxBytes: Int, decoder: JSONDecoder = JSONDecoder()) async throws -> T {
        guard HTTPRequest.isJSONContentType(headers["Content-Type"]) else {
            throw HTTPError(status: .unsupportedMediaType, message: "Content-Type must be application/json")
        }
        let bytes = try await body.collect(upTo: maxBytes)
        do {
            return try decoder.decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw HTTPRequest.clienteleError(for: error)
        }
    }

    static func isJSONContentType(_ value: String?) -> Bool {
        guard let value else { return false }
        let mediaType = value.split(separator: ";", maxSplits: 1).first?.trimmingOWS().lowercased() ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    /// Collects the body (at most `maxBytes`), parses it with `JSONParser` and builds the
    /// result with `decode`, without `JSONDecoder`.
    ///
    /// Same 415 and 413 as the `Decodable` variant; a body that is not JSON, and every
    /// `JSONFieldError` `decode` throws, become the same `ClienteleError(.invalidArgument)`
    /// naming the field (`JSONFieldError.clienteleError`).
    public func decodeJSON<T>(maxBytes: Int, _ decode: (JSONValue) throws(JSONFieldError) -> T) async throws -> T {
        guard HTTPRequest.isJSONContentType(headers["Content-Type"]) else {
            throw HTTPError(status: .unsupportedMediaType, message: "Content-Type must be application/json")
        }
        let bytes = try await body.collect(upTo: maxBytes)
        let value: JSONValue
        do throws(JSONSyntaxError) {
            value = try JSONParser.parse(bytes)
        } catch {
            throw JSONFieldError(.invalidJSON, path: "", detail: error.description).clienteleError
        }
        do throws(JSONFieldError) {
            return try decode(value)
        } catch {
            throw error.clienteleError
        }
    }

    static func clienteleError(for error: DecodingError) -> ClienteleError {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return JSONFieldError(.missing, path: path(context.codingPath + [key])).clienteleError
        case .typeMismatch(let type, let context):
            return JSONFieldError(.wrongType(expected(type)), path: path(context.codingPath)).clienteleError
        case .valueNotFound(let type, let context):
            return JSONFieldError(.null(expected(type)), path: path(context.codingPath)).clienteleError
        case .dataCorrupted(let context):
            return JSONFieldError(.invalidValue, path: path(context.codingPath), detail: context.debugDescription).clienteleError
        @unknown default:
            return ClienteleError(.invalidArgument, "Invalid JSON body")
        }
    }

    private static func expected(_ type: Any.Type) -> JSONFieldError.Expected {
        switch type {
        case is String.Type: return .string
        case is Bool.Type: return .boolean
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: return .integer
        case is Double.Type, is Float.Type: return .number
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return .array }
            return .object
        }
    }
}
