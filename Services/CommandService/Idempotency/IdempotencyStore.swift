import Errors
import EventStore
import Foundation
import HTTP
import InternalAPI
import Postgres

/// The command service's idempotency keys and the responses they produced.
///
/// A key is identified by (`scope`, `key`); `scope` names the caller, so two callers' keys
/// never collide. The record is written with the command's events (`record(_:response:)`,
/// an `IdempotencyRecord` the append carries), so a crash cannot keep one without the other.
/// Only successful outcomes are recorded: a request that failed can be retried with the same
/// key and runs again.
struct IdempotencyStore: Sendable {
    let pool: PostgresPool

    /// What an earlier request with the same key left.
    enum Earlier: Sendable, Equatable {
        /// The same request: answer with its response.
        case same(ClientCommandResponse)
        /// The key was used for a different request.
        case different
    }

    /// The earlier outcome for `token`'s key, if there is one.
    func earlier(_ token: IdempotencyToken) async throws -> Earlier? {
        let rows = try await pool.query("SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND key = $2",
                                        [token.scope, token.key])
        guard let row = rows.first else { return nil }
        return try Self.earlier(requestHash: try row.decode(0, as: String.self),
                                response: try row.decode(1, as: PostgresJSON.self), token: token)
    }

    /// The record of `response` for `token`, for the append that answers with it.
    static func record(_ token: IdempotencyToken, response: ClientCommandResponse) -> IdempotencyRecord {
        IdempotencyRecord(scope: token.scope, key: token.key, requestHash: token.requestHash,
                          response: String(decoding: response.internalJSONBytes, as: UTF8.self))
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
