/// Who a test calls the gateway as: the `Authorization: Bearer` of a session token or an API
/// key, or a session token in the `token` cookie (as a browser sends it).
public enum Credential: Sendable, CustomStringConvertible {
    case session(String)
    case sessionCookie(String)
    case apiKey(String)

    /// The header that carries this credential.
    var header: (name: String, value: String) {
        switch self {
        case .session(let token), .apiKey(let token): ("Authorization", "Bearer \(token)")
        case .sessionCookie(let token): ("Cookie", "token=\(token)")
        }
    }

    /// The kind, never the secret (failure messages name it).
    public var description: String {
        switch self {
        case .session: "session"
        case .sessionCookie: "session cookie"
        case .apiKey: "API key"
        }
    }
}
