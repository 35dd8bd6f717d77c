import Crypto
import Errors
import HTTP

/// The shared secret that internal services require of their callers, sent in
/// `X-Internal-Token`.
///
/// Read from `INTERNAL_TOKEN` (required, at least 16 bytes) by every service that serves or
/// calls internal routes. The check compares SHA-256 digests in constant time, so neither the
/// position of the first differing byte nor the token's length shows in the response time.
/// Only the digest is kept for checking; `value` is there for callers that send it.
public struct InternalToken: Sendable {
    /// The request header that carries the token.
    public static let headerName = "X-Internal-Token"
    /// The token itself, for callers to send; never log it.
    public let value: String
    private let digest: [UInt8]

    public init(_ value: String) {
        self.value = value
        self.digest = SHA256.hash(value)
    }

    /// Whether `presented` is the token.
    public func accepts(_ presented: String?) -> Bool {
        // Hash even when absent, so a missing header costs the same as a wrong one.
        let candidate = SHA256.hash(presented ?? "")
        return ConstantTime.equals(candidate, digest) && presented != nil
    }

    /// `handler`, answering 401 instead when the request does not carry the token.
    public func guarding(_ handler: @escaping HTTPHandler) -> HTTPHandler {
        { [self] request in
            guard accepts(request.headers[Self.headerName]) else {
                throw ClienteleError(.unauthenticated, "Missing or invalid internal token")
            }
            return try await handler(request)
        }
    }
}

extension ServiceSetup {
    /// The internal token from `INTERNAL_TOKEN` (required, at least 16 bytes); wrap internal
    /// routes with its `guarding(_:)`.
    public func requireInternalToken() throws -> InternalToken {
        InternalToken(try environment.secret("INTERNAL_TOKEN", minimumLength: 16))
    }
}
