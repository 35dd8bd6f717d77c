import ClientDomain
import Coordination
import Crypto
import Errors
import EventLog
import Foundation
import Postgres

/// The event store's one way to append: appends of concurrent callers are written together,
/// so they share one commit (one WAL flush) and as few round trips as they allow.
///
/// A request writes events of one stream, and may move the stream's unique claims, record an
/// idempotency key with its answer, and run statements alongside (`Writes`): all of it commits
/// or none does. A batch of plain appends (one event, nothing else: most creates and updates)
/// is one statement; any other batch is written in transactions whose statements go out in
/// one pipeline (see `AppendBatch`).
///
/// Leader/follower (`GroupCommit`), with no task of its own: a caller that finds no batch
/// being written writes its append at once (it leads); callers arriving meanwhile queue, and
/// when that write ends the first of them leads the next batch with the queued appends, up
/// to `maxBatch` and one per stream (a second append to a stream waits for the batch after,
/// so a stream's appends keep their order). A lone caller therefore waits for nobody.
///
/// Each caller gets its own answer: its events' positions, or a
/// `PostgresEventStore.AppendConflict`: `streamChanged` when its stream version was taken,
/// `claimTaken` when a claim it takes belongs to another stream, `idempotencyKeyTaken` when
/// its key was recorded first; the others of the batch still land. When a statement fails on
/// its data (`PostgresError.isDataError`: one member's event holds what the store refuses),
/// each member is written again on its own, so only the bad one gets the error and the rest
/// commit. Any other error (connection lost, pool closed) is the answer of every caller of
/// the statement, and nothing of theirs is written. Public numbers drawn for appends that
/// failed stay drawn.
///
/// A cancelled leader cancels its batch's statement, which then fails for the whole batch.
public final class AppendBatcher: Sendable {
    /// One append: what `make` writes for `streamId`, made once its public number (when
    /// `numbers` is given) is drawn.
    public struct Request: Sendable {
        public var streamId: UUID
        /// Where to draw the events' public number from; nil: they need none.
        public var numbers: (any ClientNumberSource)?
        /// Makes the writes from the number drawn (nil without `numbers`); an error it throws
        /// is this request's answer only. It may run again when the batch's connection turned
        /// out broken before anything was sent.
        public var make: @Sendable (Int64?) throws -> Writes

        public init(streamId: UUID, numbers: (any ClientNumberSource)?, make: @escaping @Sendable (Int64?) throws -> Writes) {
            self.streamId = streamId
            self.numbers = numbers
            self.make = make
        }
    }

    /// What one append writes, all of it or nothing.
    public struct Writes: Sendable {
        /// Consecutive versions of the request's stream, after the version it was decided on;
        /// none for a record alone.
        public var events: [EventEnvelope]
        /// Unique claims the stream takes, and those it gives up (a claim in both stays).
        public var claiming: Set<UniqueClaim>
        public var releasing: Set<UniqueClaim>
        public var alongside: Alongside
        /// The stream's data key: the events are stored with their personal fields sealed
        /// under it (`EventSealing`); nil: stored as they are.
        public var sealing: Sealing?

        public init(events: [EventEnvelope], claiming: Set<UniqueClaim> = [], releasing: Set<UniqueClaim> = [],
                    alongside: Alongside = Alongside(), sealing: Sealing? = nil) {
            self.events = events
            self.claiming = claiming
            self.releasing = releasing
            self.alongside = alongside
            self.sealing = sealing
        }
    }

    /// The key an append's events are sealed with.
    public struct Sealing: Sendable {
        public var key: AESGCM
        /// The key wrapped (`ClientKeyring`), when the stream has no key row yet: stored with
        /// the events, in their statement, if and only if they are appended.
        public var newWrappedKey: [UInt8]?

        public init(key: AESGCM, newWrappedKey: [UInt8]?) {
            self.key = key
            self.newWrappedKey = newWrappedKey
        }
    }

    /// What an append writes beside its events, in their transaction.
    public struct Alongside: Sendable {
        /// The answer to record under the command's idempotency key.
        public var idempotency: IdempotencyRecord?
        /// Statements run after the events and records (a credential kept beside them); one
        /// that fails fails the append.
        public var statements: [PostgresStatement]

        public init(idempotency: IdempotencyRecord? = nil, statements: [PostgresStatement] = []) {
            self.idempotency = idempotency
            self.statements = statements
        }
    }

    /// What an append wrote: its events with their positions, and the number drawn for it.
    public struct Appended: Sendable {
        public var events: [StoredEvent]
        public var number: Int64?
    }

    /// The largest number of appends one statement writes.
    public let maxBatch: Int
    private let pool: PostgresPool
    /// Where a leader running on an HTTP event loop waits for PostgreSQL (see `init`).
    private let readiness: (any PostgresReadiness)?
    /// The leader/follower queue: batches of at most `maxBatch`, one append per stream.
    private let group: GroupCommit<Request, Appended>

    /// - Parameter readiness: lets a leader whose task runs on an HTTP event loop write a
    ///   plain batch without leaving the loop (`PostgresPool.query(_:_:waitingOn:)`: the numbers
    ///   and the insert each one statement, with no hop to a pool thread and back); other
    ///   batches (transactions), those written elsewhere, or all with nil, are written on a
    ///   pool thread.
    public init(pool: PostgresPool, maxBatch: Int = 64, readiness: (any PostgresReadiness)? = nil) {
        precondition(maxBatch > 0, "maxBatch must be positive")
        self.pool = pool
        self.maxBatch = maxBatch
        self.readiness = readiness
        self.group = GroupCommit { queue in Self.take(from: queue, max: maxBatch) }
    }

    /// Appends waiting for the next batch (for tests: they queue appends behind a batch
    /// being written and wait for them here instead of sleeping).
    public var queued: Int { group.queued }

    /// Writes `request` with the appends of concurrent callers (see the type).
    public func append(_ request: Request) async throws -> Appended {
        try await group.commit(request) { batch in await self.write(batch) }.get()
    }

    /// The next batch from `queue` (oldest first): its indices, up to `max`, one per stream
    /// (later appends to a stream already in the batch stay queued, in order).
    static func take(from queue: [Request], max: Int) -> [Int] {
        var batch: [Int] = []
        var streams: Set<UUID> = []
        for (index, request) in queue.enumerated() where batch.count < max && streams.insert(request.streamId).inserted {
            batch.append(index)
        }
        return batch
    }

    /// Writes `requests` (distinct streams); one answer per request, in order.
    private func write(_ requests: [Request]) async -> [Result<Appended, any Error>] {
        do {
            if let readiness, readiness.canWait {
                var numbers = [Int64?](repeating: nil, count: requests.count)
                for draw in Self.numberDraws(for: requests) {
                    try Self.place(await draw.source.next(draw.indices.count, pool: pool, readiness: readiness),
                                   at: draw.indices, into: &numbers)
                }
                let batch = AppendBatch(requests, numbers: numbers)
                guard batch.isPlain else {
                    return try await pool.withConnection { batch.write(on: $0) }
                }
                // The common batch: one statement, waited for on the loop.
                do {
                    let round = batch.members
                    let statement = batch.insertStatement(round)
                    return try batch.answers(round.isEmpty ? nil : await pool.query(statement.sql, statement.parameters,
                                                                                     waitingOn: readiness))
                } catch let error as PostgresError where error.isDataError && batch.members.count > 1 {
                    return try await pool.withConnection { batch.write(on: $0, alone: true) }
                }
            }
            return try await pool.withConnection { connection in
                var numbers = [Int64?](repeating: nil, count: requests.count)
                for draw in Self.numberDraws(for: requests) {
                    try Self.place(draw.source.next(draw.indices.count, on: connection), at: draw.indices, into: &numbers)
                }
                return AppendBatch(requests, numbers: numbers).write(on: connection)
            }
        } catch {
            let failure = AppendBatch.failure(error)
            return requests.map { _ in .failure(failure) }
        }
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
}
