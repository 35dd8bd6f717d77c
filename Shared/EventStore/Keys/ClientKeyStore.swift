import Crypto
import Errors
import EventLog
import Foundation
import Postgres

/// The client data keys in the command service's database (`client_keys`), wrapped by the
/// `ClientKeyring`: made with a stream's first sealed append (in its transaction, see
/// `AppendBatch`), read back to open and seal the stream's events, and shredded.
///
/// Shredding (`shred`) keeps the row with its key gone (`wrapped_key` NULL, `erased_at` set):
/// every event sealed under it is unreadable for good, in the store, on the log and in any
/// backup, and readers learn it was erased rather than missing (`ClientKeyState.erased`).
///
/// Unwrapped keys are held in `cache` for the command service's own appends and loads; the
/// internal route that hands keys to the projections reads the table every time.
public struct ClientKeyStore: ClientKeySource {
    public let pool: PostgresPool
    public let keyring: ClientKeyring
    public let cache: ClientKeyCache
    /// Lets a read of the table made on an HTTP event loop wait for PostgreSQL there.
    public let readiness: (any PostgresReadiness)?

    /// Unwrapped keys held by the command service: at most 100,000, each for 10 minutes (a
    /// key shredded by another instance stops opening events here within that time).
    public init(pool: PostgresPool, keyring: ClientKeyring,
                cache: ClientKeyCache = ClientKeyCache(capacity: 100_000, lifetime: .seconds(600)),
                readiness: (any PostgresReadiness)? = nil) {
        self.pool = pool
        self.keyring = keyring
        self.cache = cache
        self.readiness = readiness
    }

    /// A stream's key as its row holds it.
    public enum Stored: Sendable, Equatable {
        /// The raw data key (unwrapped).
        case key([UInt8])
        case erased
    }

    /// Each stream's key state, from the cache or the table.
    public func keys(for streamIds: [UUID]) async throws -> [UUID: ClientKeyState] {
        var states: [UUID: ClientKeyState] = [:]
        var missing: [UUID] = []
        for id in streamIds where states[id] == nil {
            if let state = cache.state(of: id) { states[id] = state } else { missing.append(id) }
        }
        guard !missing.isEmpty else { return states }
        let stored = try await storedKeys(missing)
        for id in missing {
            switch stored[id] {
            case nil:
                states[id] = .unknown
            case .erased?:
                states[id] = .erased
                cache.put(.erased, for: id)
            case .key(let raw)?:
                guard let key = AESGCM(key: raw) else { throw Self.wrongMasterKey }
                states[id] = .key(key)
                cache.put(.key(key), for: id)
            }
        }
        return states
    }

    /// The key rows asked for: one key lookup per stream (a `LATERAL` subquery with `LIMIT`,
    /// as `StreamFold.rowsQuery`), planned on every run (not prepared). `client_keys` starts
    /// empty and grows with every client: the plain `stream_id = ANY ($1)` was planned as a
    /// scan of the whole table, by the cached generic plan made while it was small and, for
    /// the 50 or so new streams a projection batch asks about, by custom plans up to several
    /// thousand keys too (2–5 ms a question at 3,000–7,000 keys, a third of PostgreSQL's time
    /// per create; measured with auto_explain: docs/performance.md, design measurements).
    static let storedKeysSQL = """
        SELECT k.stream_id, k.wrapped_key FROM unnest($1::uuid[]) AS asked(id)
        CROSS JOIN LATERAL (SELECT stream_id, wrapped_key FROM client_keys WHERE stream_id = asked.id LIMIT 1) AS k
        """

    /// The key rows of `streamIds`, read now (a stream without a row is left out). For the
    /// internal route: no cache, so a shred shows at once.
    public func storedKeys(_ streamIds: [UUID]) async throws -> [UUID: Stored] {
        let rows = try await pool.query(Self.storedKeysSQL, [PostgresArray(streamIds)], prepared: false, waitingOn: readiness)
        var stored: [UUID: Stored] = [:]
        for row in rows {
            let id = try row.decode(0, as: UUID.self)
            guard let wrapped = try row.decodeIfPresent(1, as: [UInt8].self) else {
                stored[id] = .erased
                continue
            }
            guard let raw = keyring.unwrapRaw(wrapped, for: id) else { throw Self.wrongMasterKey }
            stored[id] = .key(raw)
        }
        return stored
    }

    /// The statement that shreds `streamId`'s key, to run in the transaction that appends the
    /// stream's `client.erased` (`AppendBatcher.Alongside`): the wrapped key is dropped and
    /// `erased_at` set; a stream without a key row (its events were stored before sealing)
    /// gets an erased row, so readers hear "erased". Forgets the cached key at once (a load
    /// before the commit may hold it again, for at most the cache's lifetime; the stream
    /// refuses every command once its `client.erased` is stored either way).
    public func shred(streamId: UUID) -> PostgresStatement {
        cache.forget(streamId)
        return PostgresStatement("""
            INSERT INTO client_keys (stream_id, wrapped_key, erased_at) VALUES ($1, NULL, now())
            ON CONFLICT (stream_id) DO UPDATE SET wrapped_key = NULL, erased_at = now()
            """, [streamId])
    }

    /// A wrapped key that does not unwrap: `DATA_MASTER_KEY` is not the key it was wrapped with.
    static let wrongMasterKey = ClienteleError(.internal, "Internal server error",
                                               internalDetail: "a client data key does not unwrap under DATA_MASTER_KEY")
}
