import ClientDomain
import Errors
import Foundation
import InternalAPI
import Postgres

/// The erasure receipts (`client_erasures`), beside the event store: one row per erased
/// client, written in the transaction that appends its `client.erased` (`record`), its steps
/// marked by whoever does each (`mark`). Holds ids only: never anything of who the client was.
struct ClientErasureStore: Sendable {
    let pool: PostgresPool

    static let columns = "client_id, tenant_id, client_number, requested_at, erased_version, by_actor_kind, by_actor_id, steps::text"

    /// The steps of a fresh erasure: the log done when it commits, and the key too when its
    /// shred joins that transaction (`keyShredded`: the store seals events); the rest pending.
    static func initialSteps(at time: Date, keyShredded: Bool) -> [ClientErasure.StepState] {
        ClientErasure.Step.allCases.map { step in
            step == .log || (step == .key && keyShredded) ? ClientErasure.StepState(step: step, state: .done, at: time)
                                                          : ClientErasure.StepState(step: step, state: .pending, at: nil)
        }
    }

    /// The statement recording `erasure`, to run alongside its `client.erased`.
    static func record(_ erasure: ClientErasure) throws -> PostgresStatement {
        PostgresStatement("""
            INSERT INTO client_erasures (client_id, tenant_id, client_number, requested_at, erased_version, by_actor_kind,
                                         by_actor_id, steps)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
            """, [erasure.clientId, erasure.tenantId, erasure.number, erasure.erasedAt, erasure.erasedVersion,
                  erasure.by.kind.rawValue, erasure.by.id, try Self.stepsText(erasure.steps)])
    }

    /// The receipt of `clientId`, or of the client numbered `number`; nil when not erased.
    func erasure(clientId: UUID) async throws -> ClientErasure? {
        try await pool.query("SELECT \(Self.columns) FROM client_erasures WHERE client_id = $1", [clientId]).first.map(Self.erasure)
    }

    func erasure(number: Int64) async throws -> ClientErasure? {
        try await pool.query("SELECT \(Self.columns) FROM client_erasures WHERE client_number = $1", [number]).first.map(Self.erasure)
    }

    /// Marks `step` of `clientId`'s erasure `state` now, unless it was marked already; the
    /// receipt afterwards, nil when the client was not erased.
    func mark(_ step: ClientErasure.Step, _ state: ClientErasure.State, clientId: UUID) async throws -> ClientErasure? {
        try await pool.withTransaction { connection in
            guard let row = try connection.query("SELECT \(Self.columns) FROM client_erasures WHERE client_id = $1 FOR UPDATE",
                                                 [clientId]).first else { return nil }
            var erasure = try Self.erasure(row)
            guard let index = erasure.steps.firstIndex(where: { $0.step == step }), erasure.steps[index].state == .pending else {
                return erasure
            }
            erasure.steps[index] = ClientErasure.StepState(step: step, state: state, at: Date())
            try connection.execute("UPDATE client_erasures SET steps = $2::jsonb WHERE client_id = $1",
                                   [clientId, try Self.stepsText(erasure.steps)])
            return erasure
        }
    }

    private static func stepsText(_ steps: [ClientErasure.StepState]) throws -> String {
        String(decoding: try InternalJSON.encoder().encode(steps), as: UTF8.self)
    }

    private static func erasure(_ row: PostgresRow) throws -> ClientErasure {
        let kind = try row.decode(5, as: String.self)
        guard let actorKind = Actor.Kind(rawValue: kind) else {
            throw PostgresError(.decoding, "unknown actor kind in an erasure receipt", context: ["column": "by_actor_kind"])
        }
        let steps = try InternalJSON.decoder().decode([ClientErasure.StepState].self,
                                                      from: Data(try row.decode(7, as: String.self).utf8))
        return ClientErasure(clientId: try row.decode(0, as: UUID.self), tenantId: try row.decode(1, as: UUID.self),
                             number: try row.decodeIfPresent(2, as: Int64.self), erasedAt: try row.decode(3, as: Date.self),
                             erasedVersion: try row.decode(4, as: Int64.self),
                             by: Actor(kind: actorKind, id: try row.decode(6, as: String.self)), steps: steps)
    }
}
