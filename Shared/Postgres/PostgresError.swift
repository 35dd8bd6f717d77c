import Errors

/// A failure of the PostgreSQL layer: a kind, the server's SQLSTATE when it sent one, a safe
/// message and context.
///
/// `description`, `message`, `context` and `clienteleError` never carry SQL text, parameter
/// values or connection secrets. The server's own message goes to `internalDetail`, with the
/// statement's parameter values and the connection password cut out, because server messages
/// such as `invalid input syntax for type integer: "…"` quote the data they reject.
/// The server's DETAIL field (which shows key values) is never kept.
public struct PostgresError: Error, Sendable, ClienteleErrorConvertible, CustomStringConvertible {
    /// What failed, plus the SQLSTATE when the server reported one.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public var kind: Kind
        /// The five-character SQLSTATE, such as `23505`; nil for failures of this side.
        public var sqlState: String?

        public init(_ kind: Kind, sqlState: String? = nil) {
            self.kind = kind
            self.sqlState = sqlState
        }

        public var description: String {
            sqlState.map { "\(kind.rawValue)(\($0))" } ?? kind.rawValue
        }

        public static let connection = Code(.connection)
        public static let timeout = Code(.timeout)
        public static let poolExhausted = Code(.poolExhausted)
        public static let poolClosed = Code(.poolClosed)
        public static let decoding = Code(.decoding)
        public static let invalidArgument = Code(.invalidArgument)
        public static let migration = Code(.migration)
        public static let protocolViolation = Code(.protocolViolation)
    }

    /// The broad class of a failure.
    public enum Kind: String, Hashable, Sendable {
        /// The server could not be reached, or the connection broke.
        case connection
        /// The server rejected or failed a statement (see `sqlState`).
        case query
        /// A statement ran past `statement_timeout`, or was cancelled.
        case timeout
        /// No connection became free within `acquireTimeout`.
        case poolExhausted
        /// The pool is closed or closing.
        case poolClosed
        /// A value could not be decoded as the Swift type asked for.
        case decoding
        /// A value cannot be sent (for example a string holding NUL) or a name is not valid.
        case invalidArgument
        /// A migration could not be applied, or a recorded one was changed.
        case migration
        /// libpq or the server answered in a way this layer does not expect.
        case protocolViolation
    }

    public var code: Code
    /// A short message written by this layer; safe to show.
    public var message: String
    /// Public fields such as the violated constraint's name or a column name.
    public var context: [String: String]
    /// The server's or libpq's message with parameter values and passwords removed; for logs.
    public var internalDetail: String?

    public init(_ code: Code, _ message: String, context: [String: String] = [:], internalDetail: String? = nil) {
        self.code = code
        self.message = message
        self.context = context
        self.internalDetail = internalDetail
    }

    /// The SQLSTATE, such as `23505` (unique violation) or `40001` (serialization failure).
    public var sqlState: String? { code.sqlState }

    /// Whether the server reported a unique-constraint violation (`23505`).
    public var isUniqueViolation: Bool { sqlState == "23505" }

    /// Whether retrying the whole transaction may succeed: serialization failure (`40001`) or
    /// deadlock (`40P01`).
    public var isTransactionConflict: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// Whether the statement failed on the data it was given: SQLSTATE class 22 (data
    /// exception), 23 (integrity constraint) or 54 (program limit, such as an index entry too
    /// large), or a value that cannot be sent (a NUL in a string). The same data fails again;
    /// other data sent in another statement need not.
    public var isDataError: Bool {
        if code.kind == .invalidArgument { return true }
        guard code.kind == .query, let state = sqlState else { return false }
        return state.hasPrefix("22") || state.hasPrefix("23") || state.hasPrefix("54")
    }

    public var description: String {
        let base = "PostgresError.\(code): \(message)"
        return context.isEmpty ? base : "\(base) \(context.sorted { $0.key < $1.key })"
    }

    /// The public form: unavailable for connection and pool failures, deadline exceeded for
    /// timeouts, conflict for unique violations and transaction conflicts, internal otherwise.
    public var clienteleError: ClienteleError {
        var publicContext: [String: String] = [:]
        let code: ClienteleError.Code
        let message: String
        switch self.code.kind {
        case .connection, .poolExhausted, .poolClosed:
            code = .unavailable
            message = "The database is unavailable; retry later."
        case .timeout:
            code = .deadlineExceeded
            message = "The database did not answer in time."
        case .query where isUniqueViolation:
            code = .conflict
            message = "The write conflicts with existing data."
            if let constraint = context["constraint"] { publicContext["constraint"] = constraint }
        case .query where isTransactionConflict:
            code = .conflict
            message = "The write conflicts with a concurrent write; retry."
        case .query where sqlState.map(Self.isUnavailableState) ?? false:
            code = .unavailable
            message = "The database is unavailable; retry later."
        case .query, .decoding, .invalidArgument, .migration, .protocolViolation:
            code = .internal
            message = "A database error occurred."
        }
        let detail = [description, internalDetail].compactMap { $0 }.joined(separator: " | ")
        return ClienteleError(code, message, context: publicContext, internalDetail: detail)
    }

    /// SQLSTATEs meaning the server is going away or out of resources: classes 08, 53, 57P.
    static func isUnavailableState(_ state: String) -> Bool {
        state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P")
    }
}
