import ClientDomain
import Errors
import Foundation
import Postgres
import Synchronization

/// Group commit for plain appends (one event, no unique claims to move, nothing written
/// alongside): appends of concurrent callers are written by one statement, so they share
/// one commit (one WAL flush) and one round trip instead of paying one each.
///
/// Leader/follower, with no task of its own: a caller that finds no batch being written
/// writes its append at once (it leads); callers arriving meanwhile queue, and when that
/// write ends the first of them leads the next batch with every queued append, up to
/// `maxBatch` and one per stream (a second append to a stream waits for the batch after, so
/// a stream's appends keep their order). A lone caller therefore waits for nobody.
///
/// Each caller gets its own answer: its event's position, or
/// `PostgresEventStore.AppendConflict.streamChanged` when its `(stream_id, stream_version)`
/// was taken (the others of the batch still land). When the batch's statement fails on
/// its data (`PostgresError.isDataError`: one member's event holds what the store refuses),
/// each member is written again on its own, so only the bad one gets the error and the rest
/// commit. Any other error of the statement (connection lost, pool closed) is the answer of
/// every caller in it, and nothing of the batch is written. Public numbers drawn for a
/// failed statement's creates stay drawn.
///
/// A cancelled leader cancels its batch's statement, which then fails for the whole batch.
public final class AppendBatcher: Sendable {
    /// One plain append: the event of `streamId`, made once its public number (when
    /// `numbers` is given) is drawn.
    public struct Request: Sendable {
        public var streamId: UUID
        /// Where to draw the event's public number from; nil: the event needs none.
        public var numbers: (any ClientNumberSource)?
        /// Makes the event from the number drawn for it (nil without `numbers`); an error it
        /// throws is this request's answer only.
        public var make: @Sendable (Int64?) throws -> EventEnvelope

        public init(streamId: UUID, numbers: (any ClientNumberSource)?, make: @escaping @Sendable (Int64?) throws -> EventEnvelope) {
            self.streamId = streamId
            self.numbers = numbers
            self.make = make
        }
    }

    /// What an append wrote: its position, its event, and the number drawn for it.
    public struct Appended: Sendable {
        public var position: Int64
        public var envelope: EventEnvelope
        public var number: Int64?
    }

    /// The largest number of appends one statement writes.
    public let maxBatch: Int
    private let pool: PostgresPool
    /// Where a leader running on an HTTP event loop waits for PostgreSQL (see `init`).
    private let readiness: (any PostgresReadiness)?
    private let state = Mutex(State())

    private struct State {
        /// A batch is being written (its leader has not handed over yet).
        var writing = false
        /// Appends waiting for the next batch, in arrival order.
        var queue: [Waiting] = []
    }

    private struct Waiting: Sendable {
        var request: Request
        var continuation: CheckedContinuation<Turn, Never>
    }

    /// What a waiting caller is woken with: its answer, or the batch it now leads (itself first).
    private enum Turn: Sendable {
        case done(Result<Appended, any Error>)
        case lead([Waiting])
    }

    /// - Parameter readiness: lets a leader whose task runs on an HTTP event loop write its
    ///   batch without leaving the loop (`PostgresPool.query(_:_:waitingOn:)`: the numbers and
    ///   the insert each one statement, with no hop to a pool thread and back); elsewhere, or
    ///   nil, the batch is written on a pool thread.
    public init(pool: PostgresPool, maxBatch: Int = 64, readiness: (any PostgresReadiness)? = nil) {
        precondition(maxBatch > 0, "maxBatch must be positive")
        self.pool = pool
        self.maxBatch = maxBatch
        self.readiness = readiness
    }

    /// Appends waiting for the next batch (for tests: they queue appends behind a batch
    /// being written and wait for them here instead of sleeping).
    public var queued: Int { state.withLock { $0.queue.count } }

    /// Appends `request`'s event with those of concurrent callers (see the type).
    public func append(_ request: Request) async throws -> Appended {
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let waiting = Waiting(request: request, continuation: continuation)
            let leads = state.withLock { state in
                if state.writing {
                    state.queue.append(waiting)
                    return false
                }
                state.writing = true
                return true
            }
            if leads { continuation.resume(returning: .lead([waiting])) }
        }
        switch turn {
        case .done(let result):
            return try result.get()
        case .lead(let batch):
            let results = await write(batch.map(\.request))
            let next = state.withLock { state in
                let next = Self.take(from: &state.queue, max: maxBatch)
                if next.isEmpty { state.writing = false }
                return next
            }
            if let leader = next.first { leader.continuation.resume(returning: .lead(next)) }
            for (waiting, result) in zip(batch, results).dropFirst() {
                waiting.continuation.resume(returning: .done(result))
            }
            return try results[0].get()
        }
    }

    /// Removes and returns the next batch from `queue`: the oldest appends, up to `max`, one
    /// per stream (later appends to a stream already in the batch stay queued, in order).
    private static func take(from queue: inout [Waiting], max: Int) -> [Waiting] {
        var batch: [Waiting] = []
        var streams: Set<UUID> = []
        var rest: [Waiting] = []
        for waiting in queue {
            if batch.count < max, streams.insert(waiting.request.streamId).inserted {
                batch.append(waiting)
            } else {
                rest.append(waiting)
            }
        }
        queue = rest
        return batch
    }

    /// Writes `requests` (distinct streams) in one statement; one answer per request, in
    /// order. If the statement failed on one member's data, each is written on its own.
    private func write(_ requests: [Request]) async -> [Result<Appended, any Error>] {
        let together = await writeTogether(requests)
        guard requests.count > 1, case .failure(let error as PostgresError)? = together.first, error.isDataError else {
            return together
        }
        var alone: [Result<Appended, any Error>] = []
        alone.reserveCapacity(requests.count)
        for request in requests { alone += await writeTogether([request]) }
        return alone
    }

    /// Writes `requests` in one statement; one answer per request, in order.
    private func writeTogether(_ requests: [Request]) async -> [Result<Appended, any Error>] {
        do {
            if let readiness, readiness.canWait {
                var numbers = [Int64?](repeating: nil, count: requests.count)
                for draw in Self.numberDraws(for: requests) {
                    try Self.place(await draw.source.next(draw.indices.count, pool: pool, readiness: readiness),
                                   at: draw.indices, into: &numbers)
                }
                let batch = Self.build(requests, numbers: numbers)
                let inserted = try await batch.rows.isEmpty ? nil
                    : pool.query(Self.insertSQL, Self.insertParameters(batch.rows), waitingOn: readiness)
                return try Self.results(batch, numbers: numbers, inserted: inserted)
            }
            return try await pool.withConnection { connection in
                try Self.write(requests, on: connection)
            }
        } catch let error as PostgresError where error.isUniqueViolation || error.isTransactionConflict {
            return requests.map { _ in .failure(PostgresEventStore.AppendConflict.streamChanged) }
        } catch {
            return requests.map { _ in .failure(error) }
        }
    }

    private static func write(_ requests: [Request], on connection: PostgresConnection) throws -> [Result<Appended, any Error>] {
        var numbers = [Int64?](repeating: nil, count: requests.count)
        for draw in numberDraws(for: requests) {
            try place(draw.source.next(draw.indices.count, on: connection), at: draw.indices, into: &numbers)
        }
        let batch = build(requests, numbers: numbers)
        let inserted = try batch.rows.isEmpty ? nil : connection.query(insertSQL, insertParameters(batch.rows))
        return try results(batch, numbers: numbers, inserted: inserted)
    }

    /// A batch's events, made from the numbers drawn for them: one per request, or its error.
    private struct Built {
        var events: [Result<(envelope: EventEnvelope, data: String), any Error>]
        /// The events that were made, to insert.
        var rows: [(envelope: EventEnvelope, data: String)]
    }

    private static func build(_ requests: [Request], numbers: [Int64?]) -> Built {
        var built: [Result<(envelope: EventEnvelope, data: String), any Error>] = []
        built.reserveCapacity(requests.count)
        for (request, number) in zip(requests, numbers) {
            built.append(Result { () throws -> (envelope: EventEnvelope, data: String) in
                let envelope = try request.make(number)
                precondition(envelope.streamId == request.streamId, "the event must belong to the request's stream")
                guard let data = String(data: envelope.data, encoding: .utf8) else {
                    throw ClienteleError(.internal, "event data is not UTF-8")
                }
                return (envelope, data)
            })
        }
        return Built(events: built, rows: built.compactMap { try? $0.get() })
    }

    /// `insertSQL`'s parameters: one array per column.
    private static func insertParameters(_ rows: [(envelope: EventEnvelope, data: String)]) -> [any PostgresEncodable] {
        [
            PostgresArray(rows.map(\.envelope.eventId)), PostgresArray(rows.map(\.envelope.streamId)),
            PostgresArray(rows.map(\.envelope.streamVersion)), PostgresArray(rows.map(\.envelope.tenantId)),
            PostgresArray(rows.map(\.envelope.type)), PostgresArray(rows.map(\.envelope.schemaVersion)),
            PostgresArray(rows.map(\.envelope.occurredAt)), PostgresArray(rows.map(\.envelope.actor.kind.rawValue)),
            PostgresArray(rows.map(\.envelope.actor.id)), PostgresArray(rows.map(\.envelope.correlationId)),
            PostgresArray(rows.map(\.envelope.causationId)), PostgresArray(rows.map(\.data)),
            PostgresArray(rows.map(\.envelope.traceparent)),
        ]
    }

    /// Each request's answer from what the insert returned (nil: nothing was inserted): its
    /// position, or `streamChanged` when its stream version was taken.
    private static func results(_ batch: Built, numbers: [Int64?], inserted: PostgresRows?) throws -> [Result<Appended, any Error>] {
        var positions: [UUID: Int64] = [:]
        for row in inserted.map(Array.init) ?? [] {
            positions[try row.decode(0, as: UUID.self)] = try row.decode(1, as: Int64.self)
        }
        var results: [Result<Appended, any Error>] = []
        results.reserveCapacity(batch.events.count)
        for (row, number) in zip(batch.events, numbers) {
            switch row {
            case .failure(let error):
                results.append(.failure(error))
            case .success(let row):
                if let position = positions[row.envelope.streamId] {
                    results.append(.success(Appended(position: position, envelope: row.envelope, number: number)))
                } else {
                    results.append(.failure(PostgresEventStore.AppendConflict.streamChanged))
                }
            }
        }
        return results
    }

    /// Which requests draw their public number from which source: one draw per kind of
    /// number source in the batch (normally one in all), in request order.
    private static func numberDraws(for requests: [Request]) -> [(source: any ClientNumberSource, indices: [Int])] {
        var bySource: [ObjectIdentifier: [Int]] = [:]
        for (index, request) in requests.enumerated() {
            guard let source = request.numbers else { continue }
            bySource[ObjectIdentifier(type(of: source)), default: []].append(index)
        }
        return bySource.values.sorted(by: { $0[0] < $1[0] }).compactMap { indices in
            requests[indices[0]].numbers.map { ($0, indices) }
        }
    }

    /// Puts the numbers one draw returned at its requests' places.
    private static func place(_ drawn: [Int64], at indices: [Int], into numbers: inout [Int64?]) throws {
        guard drawn.count == indices.count else { throw ClienteleError(.internal, "the number source drew too few numbers") }
        for (index, number) in zip(indices, drawn) { numbers[index] = number }
    }

    /// Inserts the events given as one array per column, skipping those whose stream version
    /// is taken, with an outbox entry for each inserted; returns each inserted event's stream
    /// and position. One statement: one implicit transaction.
    private static let insertSQL = """
        WITH appended AS (
            INSERT INTO events (event_id, stream_id, stream_version, tenant_id, type, schema_version,
                                occurred_at, actor_kind, actor_id, correlation_id, causation_id, data, traceparent)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int8[], $4::uuid[], $5::text[], $6::int4[],
                                 $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::text[])
            ON CONFLICT (stream_id, stream_version) DO NOTHING
            RETURNING stream_id, position),
        outboxed AS (INSERT INTO outbox (position) SELECT position FROM appended)
        SELECT stream_id, position FROM appended
        """
}
