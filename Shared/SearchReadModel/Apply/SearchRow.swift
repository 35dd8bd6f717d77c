import ClientDomain
import Foundation
import JSON
import Postgres
import Projection

/// One row of the `clients` table while a batch is folded in memory.
struct SearchRow: Sendable, StreamFoldState {
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
    var lastActiveAt: Date?
    var submissionCount: Int64
    /// The client's documents (none for a tombstone).
    var documents: [DocumentReference]
    /// The goals and medications (`CareRecordsDocument`); nil without any.
    var careRecords: JSONValue?
    /// The appointments the batch's events left, each with the stream version that last
    /// changed it, to be written to their own table with the row (not a column: read back as
    /// nothing).
    var appointments: [(record: CareRecord, version: Int64)] = []

    /// The columns, in the order `init(row:)` reads them.
    static let columns = ClientColumns.list

    init(row: PostgresRow) throws {
        id = try row.decode(0, as: UUID.self)
        tenantId = try row.decode(1, as: UUID.self)
        version = try row.decode(2, as: Int64.self)
        createdAt = try row.decodeIfPresent(3, as: Date.self)
        updatedAt = try row.decodeIfPresent(4, as: Date.self)
        deleted = try row.decode(5, as: Bool.self)
        number = try row.decodeIfPresent(6, as: Int64.self)
        createdBy = try row.decodeIfPresent(7, as: String.self)
        hasJoined = try row.decode(8, as: Bool.self)
        lastActiveAt = try row.decodeIfPresent(9, as: Date.self)
        submissionCount = try row.decode(10, as: Int64.self)
        profile = deleted ? nil : try ClientColumns.profile(row)
        documents = try ClientColumns.documents(row)
        careRecords = deleted ? nil : try ClientColumns.careRecords(row)
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
        lastActiveAt = nil
        submissionCount = 0
        documents = []
        careRecords = nil
    }

    /// The ids-only tombstone a deletion or an erasure leaves.
    init(tombstoneOf id: UUID, tenantId: UUID, version: Int64) {
        self.id = id
        self.tenantId = tenantId
        profile = nil
        self.version = version
        createdAt = nil
        updatedAt = nil
        deleted = true
        number = nil
        createdBy = nil
        hasJoined = false
        lastActiveAt = nil
        submissionCount = 0
        documents = []
        careRecords = nil
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
        case .deleted, .erased:
            // Erasure leaves the same ids-only tombstone as a deletion (id, tenant, version:
            // the version guard that keeps a redelivered creation from bringing the client
            // back); its appointments' rows go with it (`writeAppointments`).
            self = SearchRow(tombstoneOf: id, tenantId: tenantId, version: version)
        case .portalPasswordSet:
            hasJoined = true
        case .activityRecorded(let activity):
            lastActiveAt = envelope.occurredAt
            if activity.submission { submissionCount += 1 }
        case .documentAttached, .documentReplaced, .documentRemoved:
            if !deleted { documents.apply(event) }
        case .careRecordChanged(let changed):
            guard !deleted else { break }
            if changed.kind == .appointment {
                appointments.removeAll { $0.record.id == changed.record.id }
                appointments.append((changed.record, envelope.streamVersion))
            } else {
                CareRecordsDocument.apply(changed, envelope: envelope, to: &careRecords)
            }
        }
        version = envelope.streamVersion
        if !deleted { updatedAt = envelope.occurredAt }
    }

    /// Writes the row as the next object of `json` (for `jsonb_to_recordset`; absent
    /// personal data is null).
    func write(into json: inout RecordsetJSON) {
        json.beginRow()
        json.field("id", id.lowercasedString)
        json.field("tenant_id", tenantId.lowercasedString)
        json.field("version", version)
        json.field("created_at", createdAt.map(Timestamp.format))
        json.field("updated_at", updatedAt.map(Timestamp.format))
        json.field("deleted", deleted)
        json.field("number", number)
        json.field("created_by", createdBy)
        json.field("has_joined", hasJoined)
        json.field("last_active_at", lastActiveAt.map(Timestamp.format))
        json.field("submission_count", submissionCount)
        ClientColumns.write(profile, into: &json)
        ClientColumns.write(documents, into: &json)
        ClientColumns.writeWorkspace(of: profile, into: &json)
        json.field("care_records", rawJSON: careRecords?.serialized())
        json.endRow()
    }
}
