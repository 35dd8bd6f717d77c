import Errors

/// A workspace API request that breaks its rules, each failing field named.
///
/// `malformed` issues make it a 400: the body is not JSON, a field has the wrong JSON type, a
/// required field is missing, a key is unknown (or a query parameter is bad). `broken` issues
/// alone make it a 422: well-formed JSON that breaks a rule (an empty name, an unknown contact
/// type, no preferred contact method, a custom-field rule). Both kinds are listed together,
/// so the answer names every failing field.
struct WorkspaceInputFailure: Error, Equatable, ClienteleErrorConvertible {
    typealias Issue = ValidationFailure.Issue

    var malformed: [Issue] = []
    var broken: [Issue] = []

    var isEmpty: Bool { malformed.isEmpty && broken.isEmpty }

    mutating func malformed(_ field: String, _ message: String) { malformed.append(Issue(field: field, message: message)) }
    mutating func broken(_ field: String, _ message: String) { broken.append(Issue(field: field, message: message)) }

    /// Throws `self` when it holds any issue.
    func check() throws {
        if !isEmpty { throw self }
    }

    /// Every issue, the malformed ones first.
    var issues: [Issue] { malformed + broken }

    var clienteleError: ClienteleError {
        malformed.isEmpty
            ? ClienteleError(.unprocessable, "Validation failed", context: ["field": broken.first?.field ?? ""])
            : ClienteleError(.invalidArgument, "Invalid request", context: ["field": malformed.first?.field ?? ""])
    }
}
