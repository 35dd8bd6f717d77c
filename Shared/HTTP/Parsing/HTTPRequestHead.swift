import Foundation

/// How the body of a message is delimited.
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No body.
    case none
    /// Exactly this many bytes follow the head.
    case contentLength(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
}

/// The request line and header section of a request, as the parser validated them.
public struct HTTPRequestHead: Sendable {
    public var method: HTTPMethod
    /// The raw request-target (origin-form, or `*`).
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// Whether the connection may carry another request after this one.
    public var keepAlive: Bool
    public var framing: HTTPBodyFraming
    /// Whether the client sent `Expect: 100-continue`.
    public var expectsContinue: Bool
}

/// A protocol error found in a request, with the status the server answers.
///
/// After an error the connection cannot be reused: framing is no longer known.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPStatus
    /// A short reason, safe to show to the client.
    public var reason: String

    public init(_ status: HTTPStatus, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status.code): \(reason)" }
}
