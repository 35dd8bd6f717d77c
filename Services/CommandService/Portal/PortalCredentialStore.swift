import Foundation
import Postgres

/// Clients' portal password hashes, kept beside the event store and never in an event.
///
/// Written alongside the `client.portal_password_set` event (or a create's), in its
/// transaction, so the hash and the event commit together or not at all. Only `PasswordHash` strings are
/// stored (a slow salted KDF, computed by the gateway). A create may carry one: the admin
/// API gives every client it creates an account with a random temporary password that
/// nobody sees (`temporary`), replaced when the password is set.
enum PortalCredentialStore {
    /// The longest accepted hash string (a `PasswordHash` is about 100 bytes).
    static let maxHashLength = 512

    /// The statement recording `passwordHash` for `clientId`, to run alongside its event.
    static func record(clientId: UUID, passwordHash: String, temporary: Bool) -> PostgresStatement {
        PostgresStatement("""
            INSERT INTO client_portal_credentials (client_id, password_hash, temporary) VALUES ($1, $2, $3)
            ON CONFLICT (client_id) DO UPDATE SET password_hash = EXCLUDED.password_hash,
                temporary = EXCLUDED.temporary, updated_at = now()
            """, [clientId, passwordHash, temporary])
    }
}
