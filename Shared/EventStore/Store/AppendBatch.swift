import ClientDomain
import Errors
import EventLog
import Foundation
import Postgres

/// One batch of `AppendBatcher`: its requests made (numbers drawn, writes built), and how
/// they are written.
///
/// A batch whose members are all plain (one event each, nothing else) is one statement,
/// `insertSQL`: its implicit transaction is the group commit, and a member whose stream
/// version is taken is simply not inserted. Otherwise the batch is written in rounds, each
/// one transaction whose statements go out in one pipeline: the events, the claims released,
/// the claims taken, the idempotency records, then the statements written alongside. A round
/// holds at most one member per claim value and per idempotency key (`rounds()`), so what
/// refuses a member is always a writer outside the round. When a member is refused (its
/// stream changed, a claim or its key is taken) the round is rolled back and written again
/// without it, so nothing of a refused member stays and the others commit; a round that
/// fails on one member's data (`PostgresError.isDataError`) is written again member by
/// member. Callers get their answers once the whole batch is written, so a caller refused
/// for a key finds the record that refused it.
struct AppendBatch: Sendable {
    /// One request made: what it writes, with its events' data as text.
    struct Member: Sendable {
        var streamId: UUID
        var number: Int64?
        var events: [EventEnvelope]
        var data: [String]
        /// The stream's data key, wrapped, to store with the events (a stream's first sealed append).
        var newWrappedKey: [UInt8]?
        /// Claims taken and released, without those in both (the stream keeps them).
        var claiming: [UniqueClaim]
        var releasing: [UniqueClaim]
        var alongside: AppendBatcher.Alongside

        /// One event and nothing else: written by the batch's one statement when every
        /// member is plain.
        var isPlain: Bool {
            events.count == 1 && claiming.isEmpty && releasing.isEmpty && alongside.idempotency == nil
                && alongside.statements.isEmpty
        }

        /// What no other member of a round may touch: its claim values and its key.
        var exclusive: Set<Exclusive> {
            guard let tenantId = events.first?.tenantId else {
                return Set(alongside.idempotency.map { [Exclusive.key(scope: $0.scope, key: $0.key)] } ?? [])
            }
            var keys = Set((claiming + releasing).map { Exclusive.claim(tenantId: tenantId, $0) })
            if let record = alongside.idempotency { keys.insert(.key(scope: record.scope, key: record.key)) }
            return keys
        }
    }

    enum Exclusive: Hashable, Sendable {
        case claim(tenantId: UUID, UniqueClaim)
        case key(scope: String, key: String)
    }

    /// One per request, in order: the member, or the error making it threw.
    var made: [Result<Member, any Error>]

    init(_ requests: [AppendBatcher.Request], numbers: [Int64?]) {
        made = zip(requests, numbers).map { request, number in
            Result { () throws -> Member in
                let writes = try request.make(number)
                if let first = writes.events.first {
                    for (offset, envelope) in writes.events.enumerated() {
                        precondition(envelope.streamId == request.streamId, "the events must belong to the request's stream")
                        precondition(envelope.streamVersion == first.streamVersion + Int64(offset), "the events must be consecutive")
                    }
                } else {
                    precondition(writes.claiming.isEmpty && writes.releasing.isEmpty, "claims move with events")
                }
                let data = try writes.events.map { envelope in
                    let stored = try writes.sealing.map { try EventSealing.seal(envelope, key: $0.key) } ?? envelope.data
                    guard let text = String(data: stored, encoding: .utf8) else {
                        throw ClienteleError(.internal, "event data is not UTF-8")
                    }
                    return text
                }
                return Member(streamId: request.streamId, number: number, events: writes.events, data: data,
                              newWrappedKey: writes.events.isEmpty ? nil : writes.sealing?.newWrappedKey,
                              claiming: writes.claiming.subtracting(writes.releasing).sorted(by: Self.claimOrder),
                              releasing: writes.releasing.subtracting(writes.claiming).sorted(by: Self.claimOrder),
                              alongside: writes.alongside)
            }
        }
    }

    /// Whether every member made is plain: the batch is `insertSQL` alone.
    var isPlain: Bool { made.allSatisfy { (try? $0.get())?.isPlain ?? true } }

    /// The indices of the members made.
    var members: [Int] { made.indices.filter { (try? made[$0].get()) != nil } }

    private func member(_ index: Int) -> Member {
        guard case .success(let member) = made[index] else { preconditionFailure("only members made are written") }
        return member
    }

    /// The members made, in rounds: a member goes in the round after the last one holding a
    /// claim value or key it touches, so members touching one value are written in arrival
    /// order, each after the one before committed; the rest share the first round.
    func rounds() -> [[Int]] {
        var rounds: [[Int]] = []
        var touched: [Set<Exclusive>] = []
        for index in members {
            let keys = member(index).exclusive
            let after = touched.lastIndex(where: { !$0.isDisjoint(with: keys) }).map { $0 + 1 } ?? 0
            if after == rounds.count {
                rounds.append([])
                touched.append([])
            }
            rounds[after].append(index)
            touched[after].formUnion(keys)
        }
        return rounds
    }

    // MARK: Writing

    /// `insertSQL` with the events of `round`'s members.
    func insertStatement(_ round: [Int]) -> PostgresStatement {
        var rows: [(envelope: EventEnvelope, data: String)] = []
        var keys: [(streamId: UUID, wrapped: [UInt8])] = []
        for index in round {
            let member = member(index)
            rows += zip(member.events, member.data).map { ($0, $1) }
            if let wrapped = member.newWrappedKey { keys.append((member.streamId, wrapped)) }
        }
        return PostgresStatement(Self.insertSQL, [
            PostgresArray(rows.map(\.envelope.eventId)), PostgresArray(rows.map(\.envelope.streamId)),
            PostgresArray(rows.map(\.envelope.streamVersion)), PostgresArray(rows.map(\.envelope.tenantId)),
            PostgresArray(rows.map(\.envelope.type)), PostgresArray(rows.map(\.envelope.schemaVersion)),
            PostgresArray(rows.map(\.envelope.occurredAt)), PostgresArray(rows.map(\.envelope.actor.kind.rawValue)),
            PostgresArray(rows.map(\.envelope.actor.id)), PostgresArray(rows.map(\.envelope.correlationId)),
            PostgresArray(rows.map(\.envelope.causationId)), PostgresArray(rows.map(\.data)),
            PostgresArray(rows.map(\.envelope.traceparent)),
            PostgresArray(keys.map(\.streamId)), PostgresArray(keys.map(\.wrapped)),
        ])
    }

    /// The answers of a plain round from what `insertSQL` returned: each member's event and
    /// position, or `streamChanged` when its stream version was taken.
    func answers(_ round: [Int], inserted: PostgresRows) throws -> [(Int, Result<AppendBatcher.Appended, any Error>)] {
        let positions = try Self.positions(inserted)
        return round.map { index in
            let member = member(index)
            guard let stored = Self.stored(member, positions) else {
                return (index, .failure(PostgresEventStore.AppendConflict.streamChanged))
            }
            return (index, .success(AppendBatcher.Appended(events: stored, number: member.number)))
        }
    }

    /// Every request's answer when the batch is plain and its statement returned `inserted`
    /// (nil: no member was made, nothing was sent).
    func answers(_ inserted: PostgresRows?) throws -> [Result<AppendBatcher.Appended, any Error>] {
        var answers = unanswered
        if let inserted {
            for (index, answer) in try self.answers(members, inserted: inserted) { answers[index] = answer }
        }
        return Self.settled(answers)
    }

    /// Writes the batch on `connection`, round by round (`alone`: each member in a round of its
    /// own); one answer per request, in order.
    func write(on connection: PostgresConnection, alone: Bool = false) -> [Result<AppendBatcher.Appended, any Error>] {
        var answers = unanswered
        var rounds = alone ? members.map { [$0] } : rounds()
        while !rounds.isEmpty {
            let round = rounds.removeFirst()
            do {
                let written = try write(round, on: connection)
                for (index, answer) in written.answers { answers[index] = answer }
                if !written.rewrite.isEmpty { rounds.insert(written.rewrite, at: 0) }
            } catch let error as PostgresError where error.isDataError && round.count > 1 {
                rounds.insert(contentsOf: round.map { [$0] }, at: 0)
            } catch {
                let failure = Self.failure(error)
                for index in round { answers[index] = .failure(failure) }
            }
        }
        return Self.settled(answers)
    }

    /// One answer per request before writing: the error of each request not made.
    private var unanswered: [Result<AppendBatcher.Appended, any Error>?] {
        made.map { made in
            if case .failure(let error) = made { return .failure(error) }
            return nil
        }
    }

    private static func settled(_ answers: [Result<AppendBatcher.Appended, any Error>?]) -> [Result<AppendBatcher.Appended, any Error>] {
        answers.map { $0 ?? .failure(ClienteleError(.internal, "an append was left unanswered")) }
    }

    /// The error a round's callers get when its statement or transaction failed.
    static func failure(_ error: any Error) -> any Error {
        if let error = error as? PostgresError, error.isUniqueViolation || error.isTransactionConflict {
            // A racing writer took a stream version (the unique (stream_id, stream_version)
            // is the optimistic concurrency check), or two writers deadlocked on claims:
            // either way, reload and decide again.
            return PostgresEventStore.AppendConflict.streamChanged
        }
        return error
    }

    /// A round written: the answers it settled, and the members to write again in a round of
    /// their own (those not refused, when the round was rolled back for a refused one).
    private struct Written {
        var answers: [(Int, Result<AppendBatcher.Appended, any Error>)]
        var rewrite: [Int]
    }

    /// Why a round's transaction was rolled back: members refused, with their answers.
    private struct Refused: Error {
        var answers: [(Int, any Error)]
    }

    private func write(_ round: [Int], on connection: PostgresConnection) throws -> Written {
        if round.allSatisfy({ member($0).isPlain }) {
            let statement = insertStatement(round)
            return Written(answers: try answers(round, inserted: connection.query(statement.sql, statement.parameters)), rewrite: [])
        }
        do {
            return Written(answers: try connection.transaction { try writeInTransaction(round, on: connection) }, rewrite: [])
        } catch let refused as Refused {
            let settled = Set(refused.answers.map(\.0))
            return Written(answers: refused.answers.map { ($0, .failure($1)) }, rewrite: round.filter { !settled.contains($0) })
        }
    }

    /// Sends a round's statements in one pipeline inside the caller's transaction and reads
    /// every member's answer. Throws `Refused`, so the transaction is rolled back, when a
    /// member must not keep what it wrote: its key or one of its claims was taken, or its
    /// stream changed and it wrote more than its one event (a plain member whose event was not
    /// inserted wrote nothing, and is answered without undoing the others).
    private func writeInTransaction(_ round: [Int], on connection: PostgresConnection)
        throws -> [(Int, Result<AppendBatcher.Appended, any Error>)] {
        var statements: [PostgresStatement] = []
        let members = round.map { (index: $0, member: member($0)) }
        let inserting = members.contains { !$0.member.events.isEmpty }
        if inserting { statements.append(insertStatement(round)) }
        let releases = members.flatMap { entry in entry.member.releasing.map { (entry.member, $0) } }
        if !releases.isEmpty {
            statements.append(PostgresStatement(Self.releaseSQL, [
                PostgresArray(releases.map { $0.0.events[0].tenantId }), PostgresArray(releases.map(\.1.kind)),
                PostgresArray(releases.map(\.1.value)), PostgresArray(releases.map(\.0.streamId)),
            ]))
        }
        let claims = members.flatMap { entry in entry.member.claiming.map { (entry.index, entry.member, $0) } }
        let claimsAt = statements.count
        if !claims.isEmpty {
            statements.append(PostgresStatement(Self.claimSQL, [
                PostgresArray(claims.map { Int64($0.0) }), PostgresArray(claims.map { $0.1.events[0].tenantId }),
                PostgresArray(claims.map(\.2.kind)), PostgresArray(claims.map(\.2.value)), PostgresArray(claims.map(\.1.streamId)),
            ]))
        }
        let records = members.compactMap(\.member.alongside.idempotency)
        let recordsAt = statements.count
        if !records.isEmpty {
            statements.append(PostgresStatement(Self.recordSQL, [
                PostgresArray(records.map(\.scope)), PostgresArray(records.map(\.key)),
                PostgresArray(records.map(\.requestHash)), PostgresArray(records.map(\.response)),
            ]))
        }
        statements += members.flatMap(\.member.alongside.statements)
        let rows = try connection.pipeline(statements)

        let positions = inserting ? try Self.positions(rows[0]) : [:]
        var refusedClaims: [Int: String] = [:]
        if !claims.isEmpty {
            for row in rows[claimsAt] {
                let index = Int(try row.decode(0, as: Int64.self))
                if refusedClaims[index] == nil { refusedClaims[index] = try row.decode(1, as: String.self) }
            }
        }
        var recorded: Set<[String]> = []
        if !records.isEmpty {
            for row in rows[recordsAt] { recorded.insert([try row.decode(0, as: String.self), try row.decode(1, as: String.self)]) }
        }
        var answers: [(Int, Result<AppendBatcher.Appended, any Error>)] = []
        var refused: [(Int, any Error)] = []
        for (index, member) in members {
            if let record = member.alongside.idempotency, !recorded.contains([record.scope, record.key]) {
                refused.append((index, PostgresEventStore.AppendConflict.idempotencyKeyTaken))
                continue
            }
            guard let stored = Self.stored(member, positions) else {
                if member.isPlain {
                    // Nothing of it was written: answered without rolling the others back.
                    answers.append((index, .failure(PostgresEventStore.AppendConflict.streamChanged)))
                } else {
                    refused.append((index, PostgresEventStore.AppendConflict.streamChanged))
                }
                continue
            }
            if let kind = refusedClaims[index] {
                refused.append((index, PostgresEventStore.AppendConflict.claimTaken(kind: kind)))
            } else {
                answers.append((index, .success(AppendBatcher.Appended(events: stored, number: member.number))))
            }
        }
        if !refused.isEmpty {
            throw Refused(answers: refused + answers.compactMap { index, answer in
                if case .failure(let error) = answer { return (index, error) }
                return nil
            })
        }
        return answers
    }

    /// The positions `insertSQL` returned, by stream, ascending.
    private static func positions(_ inserted: PostgresRows) throws -> [UUID: [Int64]] {
        var positions: [UUID: [Int64]] = [:]
        for row in inserted {
            positions[try row.decode(0, as: UUID.self), default: []].append(try row.decode(1, as: Int64.self))
        }
        return positions.mapValues { $0.sorted() }
    }

    /// `member`'s events with their positions, if all of them were inserted. A stream's
    /// events are inserted in version order (`unnest` yields the arrays in order), so its
    /// positions ascend with its versions.
    private static func stored(_ member: Member, _ positions: [UUID: [Int64]]) -> [StoredEvent]? {
        let inserted = positions[member.streamId] ?? []
        guard inserted.count == member.events.count else { return nil }
        return zip(inserted, member.events).map { StoredEvent(position: $0, envelope: $1) }
    }

    private static func claimOrder(_ a: UniqueClaim, _ b: UniqueClaim) -> Bool {
        (a.kind, a.value) < (b.kind, b.value)
    }

    // MARK: Statements

    /// Inserts the events given as one array per column, skipping those whose stream version
    /// is taken, with an outbox entry for each inserted; returns each inserted event's stream
    /// and position; stores the data keys given (stream, wrapped key) of the streams whose
    /// events were inserted. The event store's one events INSERT.
    static let insertSQL = """
        WITH appended AS (
            INSERT INTO events (event_id, stream_id, stream_version, tenant_id, type, schema_version,
                                occurred_at, actor_kind, actor_id, correlation_id, causation_id, data, traceparent)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int8[], $4::uuid[], $5::text[], $6::int4[],
                                 $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::text[])
            ON CONFLICT (stream_id, stream_version) DO NOTHING
            RETURNING stream_id, position),
        outboxed AS (INSERT INTO outbox (position) SELECT position FROM appended),
        keyed AS (
            INSERT INTO client_keys (stream_id, wrapped_key)
            SELECT k.stream_id, k.wrapped_key FROM unnest($14::uuid[], $15::bytea[]) AS k(stream_id, wrapped_key)
            WHERE EXISTS (SELECT 1 FROM appended a WHERE a.stream_id = k.stream_id))
        SELECT stream_id, position FROM appended
        """

    /// Deletes the claims given (tenant, kind, value, stream) that their stream holds.
    static let releaseSQL = """
        DELETE FROM unique_claims u
        USING unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[]) AS r(tenant_id, kind, value, stream_id)
        WHERE u.tenant_id = r.tenant_id AND u.kind = r.kind AND u.value = r.value AND u.stream_id = r.stream_id
        """

    /// Takes the claims given (member, tenant, kind, value, stream); returns the member and
    /// kind of each held by another stream. An insert meeting a claim another transaction is
    /// taking waits for it; the holder check reads the statement's snapshot, so a claim
    /// committed meanwhile by another stream counts as held by it, and one the member's
    /// stream already holds counts as its own.
    static let claimSQL = """
        WITH wanted AS (
            SELECT * FROM unnest($1::int8[], $2::uuid[], $3::text[], $4::text[], $5::uuid[])
                AS w(member, tenant_id, kind, value, stream_id)),
        taken AS (
            INSERT INTO unique_claims (tenant_id, kind, value, stream_id)
            SELECT tenant_id, kind, value, stream_id FROM wanted
            ON CONFLICT (tenant_id, kind, value) DO NOTHING
            RETURNING tenant_id, kind, value)
        SELECT w.member, w.kind FROM wanted w
        WHERE NOT EXISTS (SELECT 1 FROM taken t WHERE t.tenant_id = w.tenant_id AND t.kind = w.kind AND t.value = w.value)
          AND NOT EXISTS (SELECT 1 FROM unique_claims u WHERE u.tenant_id = w.tenant_id AND u.kind = w.kind
                                                          AND u.value = w.value AND u.stream_id = w.stream_id)
        ORDER BY w.member, w.kind
        """

    /// Records the idempotency records given; returns the (scope, key) of each recorded (a key
    /// recorded before is not: its member is refused). Waits for a transaction recording the
    /// same key, so exactly one of them records it.
    static let recordSQL = """
        INSERT INTO idempotency_keys (scope, key, request_hash, response)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
        ON CONFLICT (scope, key) DO NOTHING
        RETURNING scope, key
        """
}
