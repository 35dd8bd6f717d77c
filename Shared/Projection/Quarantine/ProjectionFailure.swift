import Errors
import Postgres

/// What a failed batch says about its events, deciding whether the runner retries it or
/// looks for the stream to park.
///
/// - `unavailable`: the database cannot be reached or is going away (connection, pool,
///   SQLSTATE classes 08, 53, 57P), or it lost commits (`ProjectionCommitsLost`). No event is at fault: the batch is retried, with backoff,
///   for as long as it takes.
/// - `systemic`: the read model itself is broken (a missing table or column, a syntax or
///   permission error, an internal error: classes 0A, 25, 26, 3D, 3F, 42, 55, XX). Every event
///   would fail the same way, so parking them would empty the log into the quarantine: the
///   batch is retried, with backoff, and the log says why.
/// - `event`: the data of some event cannot be stored (classes 22 data exception, 23
///   integrity, 54 program limit; a value that cannot be sent, such as a NUL; a row that
///   cannot be decoded). The runner finds the event's stream at once and parks it.
/// - `unknown`: anything else (a timeout, a serialization failure, an error of Swift code).
///   Retried a bounded number of times, then treated as `event`.
public enum ProjectionFailure: Sendable, Equatable {
    case unavailable
    case systemic
    case event
    case unknown

    public init(classifying error: any Error) {
        if error is ProjectionCommitsLost {
            self = .unavailable
            return
        }
        guard let error = error as? PostgresError else {
            self = .unknown
            return
        }
        if error.isDataError {
            self = .event
            return
        }
        switch error.code.kind {
        case .connection, .poolExhausted, .poolClosed:
            self = .unavailable
        case .invalidArgument, .decoding:
            self = .event
        case .timeout, .protocolViolation, .migration:
            self = .unknown
        case .query:
            guard let state = error.sqlState, state.count == 5 else {
                self = .unknown
                return
            }
            let sqlClass = String(state.prefix(2))
            switch sqlClass {
            case "08", "53": self = .unavailable
            case "57": self = state.hasPrefix("57P") ? .unavailable : .unknown
            case "0A", "25", "26", "3D", "3F", "42", "55", "XX": self = .systemic
            default: self = .unknown
            }
        }
    }

    /// Why an event could not be applied, for the quarantine and the log: the error's kind,
    /// SQLSTATE and class, and the constraint, table or column it names. Never the server's
    /// message or any value: those can quote the event's data.
    public static func reason(for error: any Error) -> String {
        if let error = error as? PostgresError {
            var text = "database error " + (error.sqlState ?? error.code.kind.rawValue)
            if let state = error.sqlState, let name = sqlStateClassNames[String(state.prefix(2))] { text += " (\(name))" }
            for key in ["constraint", "table", "column"] {
                if let value = error.context[key] { text += ", \(key) \(value)" }
            }
            if error.sqlState == nil { text += ": " + error.message }
            return text
        }
        if let error = error as? ClienteleError {
            return "\(error.code.rawValue): \(error.message)"
        }
        return "error of type \(String(describing: type(of: error)))"
    }

    static let sqlStateClassNames: [String: String] = [
        "22": "data exception", "23": "integrity constraint violation", "54": "program limit exceeded",
        "40": "transaction rollback", "57": "operator intervention",
    ]
}
