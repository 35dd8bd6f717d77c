import ClientDomain
import EventStore
import Foundation
import Postgres
import Projection

/// One row of the `clients` table while a batch is folded in memory.
struct SearchRow: Sendable, Equatable {
    var id: UUID
    var tenantId: UUID
    /// Nil once deleted (a tombstone keeps no personal data).
    var profile: ClientProfile?
    var version: Int64
    var createdAt: Date?
    var updatedAt: Date?
    var deleted: Bool
    var number: Int64?
    /// `kind:id` of the creating actor.
    var createdBy: String?
    var hasJoined: Bool

    /// The columns, in the order `init(row:)` reads them.
    static let columns = """
        id, tenant_id, name, email, phone, notes, status, version, created_at, updated_at, deleted, \
        number, address, source, agents, created_by, has_joined
        """

    init(row: PostgresRow) throws {
        id = try row.decode(0, as: UUID.self)
        tenantId = try row.decode(1, as: UUID.self)
        deleted = try row.decode(10, as: Bool.self)
        if deleted {
            profile = nil
        } else {
            let statusText = try row.decode(6, as: String.self)
            guard let status = ClientStatus(rawValue: statusText) else {
                throw PostgresError(.decoding, "unknown client status in the read model", context: ["column": "status"])
            }
            profile = ClientProfile(name: try row.decodeIfPresent(2), email: try row.decodeIfPresent(3),
                                    phone: try row.decodeIfPresent(4), notes: try row.decodeIfPresent(5), status: status,
                                    address: try row.decodeIfPresent(12), source: try row.decodeIfPresent(13),
                                    agents: try row.decodeIfPresent(14, as: PostgresJSON.self)
                                        .map { try $0.decode([AgentAssignment].self) })
        }
        version = try row.decode(7, as: Int64.self)
        createdAt = try row.decodeIfPresent(8, as: Date.self)
        updatedAt = try row.decodeIfPresent(9, as: Date.self)
        number = try row.decodeIfPresent(11, as: Int64.self)
        createdBy = try row.decodeIfPresent(15, as: String.self)
        hasJoined = try row.decode(16, as: Bool.self)
    }

    /// The row a stream's first event creates; nil when that event is not a creation.
    init?(creating event: ClientEvent, envelope: EventEnvelope) {
        guard case .created(let created) = event else { return nil }
        id = envelope.streamId
        tenantId = envelope.tenantId
        profile = created.profile
        version = envelope.streamVersion
        createdAt = envelope.occurredAt
        updatedAt = envelope.occurredAt
        deleted = false
        number = created.number
        createdBy = Self.actorText(envelope.actor)
        hasJoined = false
    }

    /// How the `created_by` column writes an actor: `kind:id`.
    static func actorText(_ actor: Actor) -> String { actor.kind.rawValue + ":" + actor.id }

    /// Applies the event that follows `version`.
    mutating func apply(_ event: ClientEvent, envelope: EventEnvelope) {
        switch event {
        case .created(let created):
            profile = created.profile
            number = created.number
        case .profileChanged(let changed):
            profile = profile?.applying(changed.changes)
        case .deleted:
            profile = nil
            createdAt = nil
            updatedAt = nil
            number = nil
            createdBy = nil
            hasJoined = false
            deleted = true
        case .portalPasswordSet:
            hasJoined = true
        }
        version = envelope.streamVersion
        if !deleted { updatedAt = envelope.occurredAt }
    }

    /// The row as a JSON object for `jsonb_to_recordset` (absent personal data is null).
    var json: [String: Any] {
        [
            "id": id.uuidString.lowercased(),
            "tenant_id": tenantId.uuidString.lowercased(),
            "name": profile?.name ?? NSNull(),
            "email": profile?.email ?? NSNull(),
            "phone": profile?.phone ?? NSNull(),
            "notes": profile?.notes ?? NSNull(),
            "status": profile?.status.rawValue ?? NSNull(),
            "version": version,
            "created_at": createdAt.map(Timestamp.format) ?? NSNull(),
            "updated_at": updatedAt.map(Timestamp.format) ?? NSNull(),
            "deleted": deleted,
            "number": number ?? NSNull(),
            "address": profile?.address ?? NSNull(),
            "source": profile?.source ?? NSNull(),
            "agents": profile?.agents.map { agents in
                agents.map { ["agentId": $0.agentId, "agentName": $0.agentName] as [String: Any] }
            } ?? NSNull(),
            "created_by": createdBy ?? NSNull(),
            "has_joined": hasJoined,
        ]
    }
}
