/// Why a parsed JSON value does not fit the type read from it, and where (`path`, as
/// `profile.agents[0].agentId`; empty for the whole body).
///
/// HTTP turns it into the request's error (`JSONFieldError.clienteleError`, in the HTTP
/// module, which keeps this module free of the error layer).
public struct JSONFieldError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A required key is absent.
        case missing
        /// The value has another JSON type.
        case wrongType(Expected)
        /// The value is `null` where `Expected` is required.
        case null(Expected)
        /// The value has the right type but is not acceptable (a bad UUID, date or enum case).
        case invalidValue
        /// The body is not JSON, or holds a number `JSONDecoder` refuses for the type (as a
        /// fraction or an out-of-range value for an integer).
        case invalidJSON
    }

    /// What a field must be, worded as in the error message.
    public enum Expected: String, Sendable, Equatable {
        case string = "a string", boolean = "a boolean", integer = "an integer", number = "a number"
        case array = "an array", object = "an object"
    }

    public var kind: Kind
    public var path: String
    /// For logs only (never in the public message).
    public var detail: String?

    public init(_ kind: Kind, path: String, detail: String? = nil) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }
}
