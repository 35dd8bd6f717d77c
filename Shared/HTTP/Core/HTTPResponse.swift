import Foundation

/// A complete response: status, headers and a buffered body (or, with `streamedBody`, a
/// body written while it is sent).
///
/// The server sets `Content-Length` and `Connection` itself; values set here for those
/// names are ignored, except that `Connection: close` closes the connection after sending.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// When set, the body the server sends chunked instead of `body` (see `HTTPStreamedBody`).
    public var streamedBody: HTTPStreamedBody?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }
}
