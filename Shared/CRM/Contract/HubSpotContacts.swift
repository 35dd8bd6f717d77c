import Foundation
import JSON

/// The requests of HubSpot's CRM v3 contacts contract the sync sends, and what it reads
/// from the answers (docs/api/crm-sync.md, "The CRM contract").
///
/// - Upsert: `POST /crm/v3/objects/contacts/batch/upsert` with
///   `{"inputs":[{"id":<client id>,"idProperty":"clientele_id","properties":{…}}]}`; the answer
///   (200, or 207 with `errors`) lists `results`, each with the record's `id` and its
///   `properties`, in no promised order: a result is matched to its client by the
///   `clientele_id` property it carries.
/// - Archive: `POST /crm/v3/objects/contacts/batch/archive` with `{"inputs":[{"id":<record id>}]}`;
///   204. It takes record ids only, so the sync keeps each client's record id from the upsert
///   answer; a client whose record id is unknown was never created in the CRM and needs no
///   archive.
/// - GDPR delete: `POST /crm/v3/objects/contacts/gdpr-delete` with
///   `{"objectId":<client id>,"idProperty":"clientele_id"}`; 204.
public enum HubSpotContacts {
    public static let upsertPath = "/crm/v3/objects/contacts/batch/upsert"
    public static let archivePath = "/crm/v3/objects/contacts/batch/archive"
    public static let gdprDeletePath = "/crm/v3/objects/contacts/gdpr-delete"

    public static func path(for kind: CRMRequestKind) -> String {
        switch kind {
        case .upsert: upsertPath
        case .archive: archivePath
        case .gdprDelete: gdprDeletePath
        }
    }

    /// The request body for `batch`; nil when there is nothing to send (an archive of
    /// clients the CRM never had).
    public static func body(for batch: CRMSyncBatch) -> [UInt8]? {
        switch batch.kind {
        case .upsert:
            let inputs: [JSONValue] = batch.changes.compactMap { change in
                guard case .upsert(let properties) = change.operation else { return nil }
                return .object([
                    "id": .string(change.clientId.uuidString.lowercased()),
                    "idProperty": .string(CRMContactProperties.clientIdProperty),
                    "properties": .object(properties.values.mapValues(JSONValue.string)),
                ])
            }
            return inputs.isEmpty ? nil : JSONValue.object(["inputs": .array(inputs)]).serialized()
        case .archive:
            let inputs: [JSONValue] = batch.changes.compactMap { change in
                batch.objectIds[change.clientId].map { .object(["id": .string($0)]) }
            }
            return inputs.isEmpty ? nil : JSONValue.object(["inputs": .array(inputs)]).serialized()
        case .gdprDelete:
            guard let change = batch.changes.first else { return nil }
            return JSONValue.object([
                "objectId": .string(change.clientId.uuidString.lowercased()),
                "idProperty": .string(CRMContactProperties.clientIdProperty),
            ]).serialized()
        }
    }

    /// Whether `answer` is HubSpot's error for an object that does not exist
    /// (`{"status": "error", "category": "OBJECT_NOT_FOUND", …}`).
    public static func isObjectNotFound(_ answer: String) -> Bool {
        guard let parsed = try? JSONParser.parse(Array(answer.utf8)), case .string(let category)? = parsed["category"] else { return false }
        return category == "OBJECT_NOT_FOUND"
    }

    /// From an upsert answer: client id (lowercase text) to record id, for each result that
    /// carries both. Anything unreadable gives an empty map (the ids are learnt again from
    /// the next upsert).
    public static func objectIds(fromUpsertAnswer body: [UInt8]) -> [String: String] {
        guard let answer = try? JSONParser.parse(body), case .array(let results)? = answer["results"] else { return [:] }
        var ids: [String: String] = [:]
        for result in results {
            guard case .string(let recordId)? = result["id"],
                  case .string(let clientId)? = result["properties"]?[CRMContactProperties.clientIdProperty] else { continue }
            ids[clientId.lowercased()] = recordId
        }
        return ids
    }
}
