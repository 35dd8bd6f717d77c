import ClientDomain
import CRM
import EventLog
import Foundation
import JSON
import Postgres
import Projection

/// One client's row of `crm_contacts` while a batch is folded.
struct CRMContactState: StreamFoldState {
    let id: UUID
    let tenantId: UUID
    var version: Int64
    /// nil once deleted.
    var profile: ClientProfile?
    var deleted: Bool
    /// Erased (`client.erased`): the contact is to be gdpr-deleted (`deleted` is set too).
    var erased = false
    var crmVersion: Int64

    static let selectList = "id, tenant_id, version, profile::text, deleted, crm_version, erased"

    init(row: PostgresRow) throws {
        id = try row.decode(0)
        tenantId = try row.decode(1)
        version = try row.decode(2)
        profile = try row.decodeIfPresent(3, as: String.self).map(Self.profile(fromText:))
        deleted = try row.decode(4)
        crmVersion = try row.decode(5)
        erased = try row.decode(6)
    }

    /// A profile as `crm_contacts.profile` holds it (`ClientProfile.json`).
    static func profile(fromText text: String) throws -> ClientProfile {
        try ClientProfile(json: JSONObjectReader(JSONParser.parse(Array(text.utf8))))
    }

    /// The state a stream's creation makes; nil for any other first event.
    init?(creating event: ClientEvent, envelope: EventEnvelope) {
        guard case .created(let created) = event else { return nil }
        id = envelope.streamId
        tenantId = envelope.tenantId
        version = envelope.streamVersion
        profile = created.profile
        deleted = false
        crmVersion = envelope.streamVersion
    }

    /// A client erased before the sync read its creation: the CRM is told to gdpr-delete it
    /// all the same (by its Clientele id, whether it ever had it or not), which is what the
    /// erasure's `crm` step waits for.
    init(tombstoneOf id: UUID, tenantId: UUID, version: Int64) {
        self.id = id
        self.tenantId = tenantId
        self.version = version
        profile = nil
        deleted = true
        erased = true
        crmVersion = version
    }

    /// Applies the stream's next event; `crmVersion` moves only when what the CRM holds changes.
    mutating func apply(_ event: ClientEvent, envelope: EventEnvelope) {
        version = envelope.streamVersion
        switch event {
        case .created(let created):
            profile = created.profile
            crmVersion = version
        case .profileChanged(let changed):
            guard let before = profile else { return }
            let after = before.applying(changed.changes)
            profile = after
            if CRMContactProperties(clientId: id, profile: before) != CRMContactProperties(clientId: id, profile: after) {
                crmVersion = version
            }
        case .deleted:
            profile = nil
            deleted = true
            crmVersion = version
        case .erased:
            // Deleted before or not, the CRM gets a gdpr-delete (an archived contact keeps its history).
            profile = nil
            deleted = true
            erased = true
            crmVersion = version
        case .portalPasswordSet, .activityRecorded, .documentAttached, .documentReplaced, .documentRemoved:
            break
        case .careRecordChanged:
            // Goals, medications and appointments are health information: never mirrored to a CRM.
            break
        }
    }

    /// The row as a JSON object for the write's recordset.
    var record: JSONValue {
        [
            "id": .string(id.uuidString.lowercased()), "tenant_id": .string(tenantId.uuidString.lowercased()),
            "version": .int(version), "profile": profile?.json ?? .null, "deleted": .bool(deleted), "crm_version": .int(crmVersion),
            "erased": .bool(erased),
        ]
    }
}
