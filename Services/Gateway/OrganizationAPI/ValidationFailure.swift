import Errors

/// Input that breaks one or more rules, each naming its field.
///
/// Converts to a `ClienteleError` (`invalidArgument`, naming the first field) for the shared
/// mapping; the organization API renders every issue in its `details`.
struct ValidationFailure: Error, Equatable, ClienteleErrorConvertible {
    struct Issue: Equatable, Sendable {
        var field: String
        var message: String
    }

    var issues: [Issue]

    init(_ issues: [Issue]) { self.issues = issues }

    init(field: String, _ message: String) { self.issues = [Issue(field: field, message: message)] }

    var clienteleError: ClienteleError {
        ClienteleError(.invalidArgument, "Validation failed", context: ["field": issues.first?.field ?? ""])
    }
}
