import Foundation
import Postgres

/// Clients' portal password hashes, kept beside the event store and never in an event.
///
/// Written inside the transaction that appends the `client.portal_password_set` event, so
/// the hash and the event commit together or not at all. Only `PasswordHash` strings are
/// stored (a slow salted KDF, computed by the gateway). A create may carry one: the admin
/// API gives every client it creates an account with a random temporary password that
/// nobody sees (`temporary`), replaced when the password is set.
enum PortalCredentialStore {
    /// The longest accepted hash string (a `PasswordHash` is about 100 bytes).
    static let maxHashLength = 512

    static func record(clientId: UUID, passwordHash: String, temporary: Bool, on connection: PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO client_portal_credentials (client_id, password_hash, temporary) VALUES ($1, $2, $3)
            ON CONFLICT (client_id) DO UPDATE SET password_hash = EXCLUDED.password_hash,
                temporary = EXCLUDED.temporary, updated_at = now()
            """, [clientId, passwordHash, temporary])
    }
}
