import Errors
import Foundation
import HTTP
import InternalAPI
import Postgres

/// The command service's record of idempotency keys and the responses they produced.
///
/// A key is identified by (`scope`, `key`); `scope` names the caller, so two callers' keys
/// never collide. The record is written in the same transaction as the command's events
/// (`record(_:response:on:)` inside the append), so a crash cannot keep one without the
/// other. Only successful outcomes are recorded: a request that failed can be retried with
/// the same key and runs again.
struct IdempotencyStore: Sendable {
    let pool: PostgresPool

    /// What an earlier request with the same key left.
    enum Earlier: Sendable, Equatable {
        /// The same request: answer with its response.
        case same(ClientCommandResponse)
        /// The key was used for a different request.
        case different
    }

    /// Another request with the same key committed first (raised inside the append's
    /// transaction, which it rolls back).
    struct KeyTaken: Error {}

    /// The earlier outcome for `token`'s key, if there is one.
    func earlier(_ token: IdempotencyToken) async throws -> Earlier? {
        let rows = try await pool.query("SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND key = $2",
                                        [token.scope, token.key])
        guard let row = rows.first else { return nil }
        return try Self.earlier(requestHash: try row.decode(0, as: String.self),
                                response: try row.decode(1, as: PostgresJSON.self), token: token)
    }

    /// Records `response` for `token` on `connection` (inside the caller's transaction).
    /// Throws `KeyTaken` when a concurrent request with the same key committed first; the
    /// insert waits for that request's transaction, so exactly one of them records.
    static func record(_ token: IdempotencyToken, response: ClientCommandResponse, on connection: PostgresConnection) throws {
        let json = response.internalJSONBytes
        let inserted = try connection.query("""
            INSERT INTO idempotency_keys (scope, key, request_hash, response) VALUES ($1, $2, $3, $4)
            ON CONFLICT (scope, key) DO NOTHING RETURNING 1
            """, [token.scope, token.key, token.requestHash, PostgresJSON(text: String(decoding: json, as: UTF8.self))])
        if inserted.isEmpty { throw KeyTaken() }
    }

    /// Records `response` for `token` on its own (for commands that wrote no events).
    func record(_ token: IdempotencyToken, response: ClientCommandResponse) async throws {
        try await pool.withTransaction { connection in
            try Self.record(token, response: response, on: connection)
        }
    }

    /// Deletes keys recorded before `age` ago; returns how many.
    func deleteOlder(than age: Duration) async throws -> Int {
        try await pool.execute("DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
                               [Double(age.components.seconds)])
    }

    private static func earlier(requestHash: String, response: PostgresJSON, token: IdempotencyToken) throws -> Earlier {
        // The hashes are digests the gateway computed, not secrets; equality is enough.
        guard requestHash == token.requestHash else { return .different }
        var decoded = try ClientCommandResponse(internalJSON: JSONParser.parse(Array(response.text.utf8)))
        decoded.replayed = true
        return .same(decoded)
    }
}
