import Foundation

/// A method and path pattern registered on a `Router`, as it was registered
/// (`/api/v1/clients/:id`, `/api/document/*`).
public struct RegisteredRoute: Sendable, Hashable, CustomStringConvertible {
    public var method: HTTPMethod
    public var pattern: String

    public init(method: HTTPMethod, pattern: String) {
        self.method = method
        self.pattern = pattern
    }

    public var description: String { "\(method.rawValue) \(pattern)" }
}
