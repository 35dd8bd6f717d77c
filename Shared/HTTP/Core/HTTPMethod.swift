import Foundation

/// An HTTP request method.
///
/// Any token is representable. The server recognises the methods of RFC 9110 (GET, HEAD,
/// POST, PUT, DELETE, CONNECT, OPTIONS, TRACE), PATCH (RFC 5789) and QUERY (the IETF's safe
/// method with a body, draft-ietf-httpbis-safe-method-w-body, which API testers probe): one
/// of these on a path that has routes, but none for it, is answered 405 with `Allow` (RFC
/// 9110 §15.5.6). Any other token is a method the server does not recognise at all, answered
/// 501 (§15.6.2).
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let GET = HTTPMethod(rawValue: "GET")
    public static let HEAD = HTTPMethod(rawValue: "HEAD")
    public static let POST = HTTPMethod(rawValue: "POST")
    public static let PUT = HTTPMethod(rawValue: "PUT")
    public static let PATCH = HTTPMethod(rawValue: "PATCH")
    public static let DELETE = HTTPMethod(rawValue: "DELETE")
    public static let OPTIONS = HTTPMethod(rawValue: "OPTIONS")
    public static let TRACE = HTTPMethod(rawValue: "TRACE")
    public static let CONNECT = HTTPMethod(rawValue: "CONNECT")
    public static let QUERY = HTTPMethod(rawValue: "QUERY")

    /// Every method the server recognises; the request parser answers 501 for any other.
    public static let recognised: [HTTPMethod] = [.GET, .HEAD, .POST, .PUT, .PATCH, .DELETE, .OPTIONS, .TRACE, .CONNECT,
                                                   .QUERY]

    /// Whether repeating the request has the same effect as sending it once (RFC 9110 §9.2.2).
    public var isIdempotent: Bool {
        switch rawValue {
        case "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "QUERY": return true
        default: return false
        }
    }

    /// Whether a request with this method must declare its body length (411 otherwise).
    public var requiresBodyFraming: Bool {
        switch rawValue {
        case "POST", "PUT", "PATCH": return true
        default: return false
        }
    }

    public var description: String { rawValue }
}
