/// An error the system reports to a caller: a stable code, a message safe to show, and context.
///
/// Every layer throws this (or a type converting to it) for failures a caller should see.
/// The HTTP mapping lives in one place (`HTTPResponse+Error.swift` in the HTTP module).
/// `message` and `context` are public: they must never carry SQL, secrets or personal data.
/// Put diagnostic detail for operators in `internalDetail`, which is logged but never sent.
public struct ClienteleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public var code: Code
    /// A human-readable message, safe to return to a caller.
    public var message: String
    /// Extra public fields (for example the name of a bad field), returned to the caller.
    public var context: [String: String]
    /// Detail for operators' logs only; never part of a response.
    public var internalDetail: String?

    public init(_ code: Code, _ message: String, context: [String: String] = [:], internalDetail: String? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.internalDetail = internalDetail
    }

    public var description: String {
        context.isEmpty ? "\(code.rawValue): \(message)" : "\(code.rawValue): \(message) \(context.sorted { $0.key < $1.key })"
    }

    /// The error codes, each with one meaning across the system.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The input is malformed or breaks a rule (HTTP 400).
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// No credentials, or credentials that are not valid (HTTP 401).
        public static let unauthenticated = Code(rawValue: "unauthenticated")
        /// The caller is known but may not do this (HTTP 403).
        public static let permissionDenied = Code(rawValue: "permission_denied")
        /// The thing asked for does not exist, or the caller may not know it does (HTTP 404).
        public static let notFound = Code(rawValue: "not_found")
        /// The method is not allowed on this resource (HTTP 405).
        public static let methodNotAllowed = Code(rawValue: "method_not_allowed")
        /// The write conflicts with the current state (HTTP 409).
        public static let conflict = Code(rawValue: "conflict")
        /// A precondition such as `If-Match` does not hold (HTTP 412).
        public static let preconditionFailed = Code(rawValue: "precondition_failed")
        /// The request's content is larger than the limit for it (HTTP 413).
        public static let payloadTooLarge = Code(rawValue: "payload_too_large")
        /// The request's content is of a type not accepted here (HTTP 415).
        public static let unsupportedMediaType = Code(rawValue: "unsupported_media_type")
        /// The request is well formed but cannot be processed (HTTP 422).
        public static let unprocessable = Code(rawValue: "unprocessable")
        /// A quota or rate limit was reached (HTTP 429).
        public static let resourceExhausted = Code(rawValue: "resource_exhausted")
        /// Not built yet (HTTP 501).
        public static let notImplemented = Code(rawValue: "not_implemented")
        /// A dependency is down or the service is shutting down; retry later (HTTP 503).
        public static let unavailable = Code(rawValue: "unavailable")
        /// A deadline passed (HTTP 504).
        public static let deadlineExceeded = Code(rawValue: "deadline_exceeded")
        /// A fault of the system, not of the caller (HTTP 500).
        public static let `internal` = Code(rawValue: "internal")
    }
}

/// An error that knows how to present itself as a `ClienteleError`.
///
/// Library errors (PostgreSQL, Kafka) conform so that the one HTTP mapping can show them
/// safely: the conversion decides what is public, the rest goes to `internalDetail`.
public protocol ClienteleErrorConvertible: Error {
    var clienteleError: ClienteleError { get }
}

extension ClienteleError: ClienteleErrorConvertible {
    public var clienteleError: ClienteleError { self }
}

/// An error after which the caller should wait before trying again: the gateway's answer
/// carries `Retry-After: <retryAfterSeconds>` (`APIErrorRendering`).
public protocol RetryAfterAdvising: Error {
    /// Seconds to wait, at least 1.
    var retryAfterSeconds: Int { get }
}
