import Crypto
import EventLog
import Foundation
import Postgres

extension ClientKeyStore {
    /// What one step of sealing the stored history did.
    public struct HistoryStep: Sendable, Equatable {
        /// The last stream the step went through; nil when there was none after the cursor
        /// (the history is sealed).
        public var lastStream: UUID?
        public var streams: Int
        /// Events rewritten in their sealed form in this step.
        public var eventsSealed: Int
    }

    /// Seals the stored events of up to `streams` streams after `cursor` (by stream id), in the
    /// caller's transaction: each stream without a key gets one (kept if another writer stored
    /// one first), and each of its events without a sealed part is rewritten sealed. Resumable:
    /// sealed events are left as they are, so a step may run again after an interruption. A
    /// stream whose key was shredded is left alone. (`clientctl privacy encrypt-history`.)
    public func sealHistory(after cursor: UUID?, streams limit: Int, on connection: PostgresConnection) throws -> HistoryStep {
        let ids = try connection.query("""
            SELECT DISTINCT stream_id FROM events WHERE stream_id > $1 ORDER BY stream_id LIMIT $2
            """, [cursor ?? UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), limit]).map { try $0.decode(0, as: UUID.self) }
        var sealed = 0
        for id in ids {
            let (_, wrapped) = keyring.makeKey(for: id)
            try connection.execute("INSERT INTO client_keys (stream_id, wrapped_key) VALUES ($1, $2) ON CONFLICT (stream_id) DO NOTHING",
                                   [id, wrapped])
            let rows = try connection.query("SELECT wrapped_key FROM client_keys WHERE stream_id = $1 FOR UPDATE", [id])
            guard let stored = try rows.first?.decodeIfPresent(0, as: [UInt8].self) else { continue }
            guard let key = keyring.unwrap(stored, for: id) else { throw Self.wrongMasterKey }
            let events = try connection.query("""
                SELECT position, \(PostgresEventStore.columns) FROM events WHERE stream_id = $1 ORDER BY stream_version FOR UPDATE
                """, [id])
            for row in events {
                let envelope = try PostgresEventStore.envelope(from: row, startingAt: 1)
                guard !EventSealing.isSealed(envelope.data) else { continue }
                let data = try EventSealing.seal(envelope, key: key)
                guard data != envelope.data else { continue }
                try connection.execute("UPDATE events SET data = $2::jsonb WHERE position = $1",
                                       [try row.decode(0, as: Int64.self), String(decoding: data, as: UTF8.self)])
                sealed += 1
            }
        }
        return HistoryStep(lastStream: ids.last, streams: ids.count, eventsSealed: sealed)
    }
}
