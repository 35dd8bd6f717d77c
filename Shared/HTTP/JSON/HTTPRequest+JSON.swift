import Errors
import Foundation

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

    static func clienteleError(for error: DecodingError) -> ClienteleError {
        func path(_ codingPath: [any CodingKey]) -> String {
            var text = ""
            for key in codingPath {
                if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return text.isEmpty ? "$" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return ClienteleError(.invalidArgument, "Missing field '\(field)'", context: ["field": field])
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return ClienteleError(.invalidArgument, "Field '\(field)' must be \(describe(type))", context: ["field": field])
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return ClienteleError(.invalidArgument, "Field '\(field)' must be \(describe(type)), not null", context: ["field": field])
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if context.codingPath.isEmpty {
                return ClienteleError(.invalidArgument, "Request body is not valid JSON", context: ["field": field],
                                      internalDetail: context.debugDescription)
            }
            return ClienteleError(.invalidArgument, "Field '\(field)' has an invalid value", context: ["field": field],
                                  internalDetail: context.debugDescription)
        @unknown default:
            return ClienteleError(.invalidArgument, "Invalid JSON body")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }
}
