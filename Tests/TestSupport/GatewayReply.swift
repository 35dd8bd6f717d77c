import HTTP
import JSON

/// The gateway's answer to one call, read whole.
public struct GatewayReply: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body read with the project's own parser (`.null` when it is not JSON), so strings
    /// compare exactly, not up to Unicode canonical equivalence as Swift's `==` would.
    public var json: JSONValue { (try? JSONParser.parse(body)) ?? .null }
    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The answer's first 300 code points, for failure messages (a character can be kilobytes).
    public var excerpt: String { excerptOf(text) }
}
