import Foundation
import TLS

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
    /// The TLS client configuration for `https://` URLs (the trust store and the minimum
    /// version); without it the client refuses them.
    public var tls: TLSContext?

    public init(connectTimeout: Duration = .seconds(2), requestTimeout: Duration = .seconds(30),
                maxConnectionsPerHost: Int = 64, maxIdlePerHost: Int = 16, retries: Int = 2, tls: TLSContext? = nil) {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.maxIdlePerHost = maxIdlePerHost
        self.retries = retries
        self.tls = tls
    }
}

/// A request for `HTTPClient`.
public struct HTTPClientRequest: Sendable {
    public var method: HTTPMethod
    /// An absolute `http://` or `https://` `host:port/path?query` URL (a numeric host,
    /// "localhost", or a name resolved with getaddrinfo).
    public var url: String
    /// A numeric address to connect to instead of resolving the URL's host, for a caller that
    /// resolved and checked it itself (crm-sync's address policy); the Host field, the TLS
    /// server name and the certificate check still use the URL's host.
    public var connectAddress: String?
    /// Sent as given, except Host, Content-Length, Connection and Transfer-Encoding, which
    /// the client sets, and fields with CR/LF/NUL, which are dropped.
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Whether the client may send the request again when it provably did not reach a server
    /// (see `HTTPClient`); by default when the method is idempotent. Set it for a `POST` that
    /// only reads.
    public var isRetryable: Bool

    public init(method: HTTPMethod = .GET, url: String, connectAddress: String? = nil, headers: HTTPHeaders = HTTPHeaders(),
                body: [UInt8] = [], isRetryable: Bool? = nil) {
        self.method = method
        self.url = url
        self.connectAddress = connectAddress
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
