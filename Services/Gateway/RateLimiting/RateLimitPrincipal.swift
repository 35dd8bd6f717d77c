import Foundation

/// Who a rate limit counts: an authenticated API key or staff user, by id, or a client
/// address (for the budget of failed API-key lookups, `APIKeyAuthenticator`).
///
/// Two API keys of one company have separate budgets; all sessions of one user share the
/// user's budget.
enum RateLimitPrincipal: Hashable, Sendable {
    case apiKey(UUID)
    case user(UUID)
    case clientAddress(String)
}
