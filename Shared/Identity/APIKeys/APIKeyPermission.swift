/// The permission strings an API key can carry.
///
/// A key holds a set of these; each gateway route names the one it needs. Unknown strings are
/// refused when a key is issued, so a typo cannot create a key that silently grants nothing.
public enum APIKeyPermission {
    /// Read clients (list, get).
    public static let clientsRead = "clients:read"
    /// Create, change and delete clients.
    public static let clientsWrite = "clients:write"

    /// Every permission there is.
    public static let all: Set<String> = [clientsRead, clientsWrite]
    /// What a key gets when the issuer names none.
    public static let defaults: Set<String> = [clientsRead, clientsWrite]
}
