import Foundation

/// Timeouts, pool sizes and retries of an `HTTPClient`.
public struct HTTPClientConfiguration: Sendable {
    /// Time to establish a TCP connection.
    public var connectTimeout: Duration
    /// Time for the whole call: waiting for a pooled connection, connecting, sending and
    /// receiving, across retries.
    public var requestTimeout: Duration
    /// Open connections per host:port; further calls wait for one to be released.
    public var maxConnectionsPerHost: Int
    /// Idle keep-alive connections kept per host:port.
    public var maxIdlePerHost: Int
    /// Extra attempts for idempotent requests that provably did not reach the server.
    public var retries: Int

    public init(connectTimeout: Duration = .seconds(2), requestTimeout: Duration = .seconds(30),
                maxConnectionsPerHost: Int = 64, maxIdlePerHost: Int = 16, retries: Int = 2) {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.maxIdlePerHost = maxIdlePerHost
        self.retries = retries
    }
}

/// A request for `HTTPClient`.
public struct HTTPClientRequest: Sendable {
    public var method: HTTPMethod
    /// An absolute `http://host:port/path?query` URL (a numeric host, "localhost", or a name resolved with getaddrinfo).
    public var url: String
    /// Sent as given, except Host, Content-Length, Connection and Transfer-Encoding, which
    /// the client sets, and fields with CR/LF/NUL, which are dropped.
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Whether the client may send the request again when it provably did not reach a server
    /// (see `HTTPClient`); by default when the method is idempotent. Set it for a `POST` that
    /// only reads.
    public var isRetryable: Bool

    public init(method: HTTPMethod = .GET, url: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
                isRetryable: Bool? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.isRetryable = isRetryable ?? method.isIdempotent
    }
}

/// A complete response received by `HTTPClient`.
public struct HTTPClientResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
