import Foundation

/// A request as handlers see it.
///
/// `path` is the percent-decoded path without the query; `pathParameters` and `route` are
/// filled in by the router (`route` is the matched pattern, e.g. `/api/clients/:id`, suited
/// to metrics labels because it does not vary per request).
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The raw request-target as received.
    public var target: String
    /// The decoded path, without the query.
    public var path: String
    /// The raw (still encoded) query, without `?`.
    public var query: String?
    public var headers: HTTPHeaders
    public var version: HTTPVersion
    public var pathParameters: [String: String]
    public var route: String?
    public var body: HTTPRequestBody
    public var remoteAddress: String

    /// Builds a request from a raw request-target; an undecodable path is kept as received.
    public init(method: HTTPMethod, target: String, headers: HTTPHeaders = HTTPHeaders(),
                version: HTTPVersion = .http1_1, body: HTTPRequestBody = HTTPRequestBody(),
                remoteAddress: String = "") {
        self.method = method
        self.target = target
        let (rawPath, query) = HTTPRequest.split(target: target)
        self.path = PercentEncoding.decode(rawPath) ?? String(rawPath)
        self.query = query.map(String.init)
        self.headers = headers
        self.version = version
        self.pathParameters = [:]
        self.route = nil
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// Builds a request from already split parts (the server's path).
    init(method: HTTPMethod, target: String, path: String, query: String?, headers: HTTPHeaders,
         version: HTTPVersion, remoteAddress: String) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.headers = headers
        self.version = version
        self.pathParameters = [:]
        self.route = nil
        self.body = HTTPRequestBody()
        self.remoteAddress = remoteAddress
    }

    /// The query's name/value pairs in order, with `+` and percent escapes decoded.
    ///
    /// Pairs whose escapes are malformed keep their raw text.
    public func queryParameters() -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0]
            let value = parts.count > 1 ? parts[1] : ""
            return (name: PercentEncoding.decode(name, plusAsSpace: true) ?? String(name),
                    value: PercentEncoding.decode(value, plusAsSpace: true) ?? String(value))
        }
    }

    /// The first decoded value of the query parameter `name`.
    public func queryParameter(_ name: String) -> String? {
        queryParameters().first { $0.name == name }?.value
    }

    static func split(target: String) -> (path: Substring, query: Substring?) {
        if let mark = target.utf8.firstIndex(of: 63) {
            return (target[..<mark], target[target.index(after: mark)...])
        }
        return (target[...], nil)
    }
}
