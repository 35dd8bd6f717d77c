/// A configuration variable that is missing or invalid.
///
/// Its description is the one line a service prints before exiting non-zero, naming the
/// variable and what was expected. The offending value is shown only for variables that
/// are not secret.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible, Equatable {
    public var variable: String
    public var problem: String

    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "invalid configuration: \(variable): \(problem)" }
}
