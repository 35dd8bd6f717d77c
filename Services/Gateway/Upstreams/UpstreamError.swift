import Errors
import Foundation
import HTTP

/// Turns an internal service's error response back into the `ClienteleError` it rendered.
///
/// Internal services answer errors as `{"error": code, "message": message, ...context}` (the
/// one mapping in `HTTPResponse+Error.swift`). A refused internal token (401/403) is the
/// gateway's misconfiguration, never the public caller's fault, so it becomes `.internal`;
/// so does a 404 for a route the service does not have (`HTTPError.noRouteCode`: an older
/// version of it, or a wrong URL), which must not reach the caller as "not found".
enum UpstreamError {
    /// Whether `response` is the service router's 404 for a path it has no route for.
    static func isMissingRoute(_ response: HTTPClientResponse) -> Bool {
        guard response.status.code == 404, let body = try? JSONParser.parse(response.body),
              case .string(let code)? = body["error"] else { return false }
        return code == HTTPError.noRouteCode
    }

    static func clienteleError(from response: HTTPClientResponse, service: String) -> ClienteleError {
        let status = response.status.code
        if status == 401 || status == 403 {
            return ClienteleError(.internal, "Internal server error",
                                  internalDetail: "\(service) refused the internal token (\(status))")
        }
        if isMissingRoute(response) {
            return ClienteleError(.internal, "Internal server error",
                                  internalDetail: "\(service) has no route for this request (\(status))")
        }
        guard let body = try? JSONParser.parse(response.body),
              case .string(let code)? = body["error"], case .string(let message)? = body["message"] else {
            return ClienteleError(status >= 500 ? .unavailable : .internal, "Internal server error",
                                  internalDetail: "\(service) answered \(status) without an error body")
        }
        var context: [String: String] = [:]
        if case .object(let object) = body {
            for (key, value) in object where key != "error" && key != "message" {
                if case .string(let text) = value { context[key] = text }
            }
        }
        return ClienteleError(ClienteleError.Code(rawValue: code), message, context: context,
                              internalDetail: "from \(service) (\(status))")
    }
}
