import ClientDomain
import Foundation
import JSON
import Postgres
import Projection

/// The `clients` table's columns in one list, shared by the projection's reads and upserts
/// and by the queries, so a field is added in one place.
///
/// A row is the state columns (`stateList`, indexes 0–10) followed by the profile columns
/// (`profileColumns`, from index 11). A tombstone holds only the id, tenant, version and the
/// `deleted` flag (zero submissions, not joined): no personal data.
enum ClientColumns {
    static let stateList = """
        id, tenant_id, version, created_at, updated_at, deleted, number, created_by, has_joined, \
        last_active_at, submission_count
        """
    static let profileBase = 11

    /// The profile's columns and their SQL types, in select order.
    static let profileColumns: [(name: String, type: String)] = [
        ("name", "text"), ("email", "text"), ("phone", "text"), ("notes", "text"), ("status", "text"),
        ("address", "text"), ("source", "text"), ("agents", "jsonb"), ("display_name", "text"), ("username", "text"),
        ("bio", "text"), ("job_title", "text"), ("company_name", "text"), ("industry", "text"), ("website", "text"),
        ("location", "text"), ("account_type", "text"), ("plan", "text"), ("provider", "text"),
        ("email_verified", "boolean"), ("two_factor_enabled", "boolean"), ("avatar", "text"), ("care", "jsonb"),
    ]

    /// Every column, state then profile, then the documents, then the workspace fields.
    static let list = stateList + ", " + profileColumns.map(\.name).joined(separator: ", ") + ", documents, " + workspaceList
        + ", care_records"

    /// The `documents` column's index in `list`.
    static let documentsIndex = profileBase + profileColumns.count

    /// The record type of `jsonb_to_recordset` for an upsert of every column.
    static let recordsetTypes = """
        id uuid, tenant_id uuid, version bigint, created_at timestamptz, updated_at timestamptz, deleted boolean, \
        number bigint, created_by text, has_joined boolean, last_active_at timestamptz, submission_count bigint
        """ + ", " + profileColumns.map { "\($0.name) \($0.type)" }.joined(separator: ", ") + ", documents jsonb, "
        + workspaceRecordsetTypes + ", care_records jsonb"

    /// `SET` assignments copying every column but the key from `EXCLUDED`.
    static let updateAssignments = (list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { $0 != "id" } + ["agent_ids"] + derivedWorkspaceColumns).map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")

    /// The profile stored from `profileBase` on (a live row's).
    static func profile(_ row: PostgresRow) throws -> ClientProfile {
        let base = profileBase
        let statusText = try row.decode(base + 4, as: String.self)
        guard let status = ClientStatus(rawValue: statusText) else {
            throw PostgresError(.decoding, "unknown client status in the read model", context: ["column": "status"])
        }
        var profile = ClientProfile(
            name: try row.decodeIfPresent(base), email: try row.decodeIfPresent(base + 1),
            phone: try row.decodeIfPresent(base + 2), notes: try row.decodeIfPresent(base + 3), status: status,
            address: try row.decodeIfPresent(base + 5), source: try row.decodeIfPresent(base + 6),
            agents: try row.decodeIfPresent(base + 7, as: PostgresJSON.self).map { try $0.decode([AgentAssignment].self) },
            displayName: try row.decodeIfPresent(base + 8), username: try row.decodeIfPresent(base + 9),
            bio: try row.decodeIfPresent(base + 10), jobTitle: try row.decodeIfPresent(base + 11),
            companyName: try row.decodeIfPresent(base + 12), industry: try row.decodeIfPresent(base + 13),
            website: try row.decodeIfPresent(base + 14), location: try row.decodeIfPresent(base + 15),
            accountType: try row.decodeIfPresent(base + 16, as: String.self).flatMap(AccountType.init(rawValue:)),
            plan: try row.decodeIfPresent(base + 17, as: String.self).flatMap(Plan.init(rawValue:)),
            provider: try row.decodeIfPresent(base + 18), emailVerified: try row.decodeIfPresent(base + 19),
            twoFactorEnabled: try row.decodeIfPresent(base + 20), avatar: try row.decodeIfPresent(base + 21))
        profile.care = try care(row, base + 22)
        profile.workspace = try workspace(row)
        return profile
    }

    /// The care sections stored at `index` (nil when null).
    static func care(_ row: PostgresRow, _ index: Int) throws -> CareProfile? {
        guard let stored = try row.decodeIfPresent(index, as: PostgresJSON.self) else { return nil }
        do {
            return try CareProfile(json: JSONObjectReader(JSONParser.parse(Array(stored.text.utf8))))
        } catch {
            throw PostgresError(.decoding, "unreadable care sections in the read model", context: ["column": "care"])
        }
    }

    /// The `care_records` column's index in `list` (after the two workspace columns).
    static let careRecordsIndex = documentsIndex + 3

    /// The goals and medications document stored in the row (nil when null).
    static func careRecords(_ row: PostgresRow) throws -> JSONValue? {
        guard let stored = try row.decodeIfPresent(careRecordsIndex, as: PostgresJSON.self) else { return nil }
        do {
            return try JSONParser.parse(Array(stored.text.utf8))
        } catch {
            throw PostgresError(.decoding, "unreadable care records in the read model", context: ["column": "care_records"])
        }
    }

    /// The documents stored at `documentsIndex` (none when null).
    static func documents(_ row: PostgresRow) throws -> [DocumentReference] {
        guard let stored = try row.decodeIfPresent(documentsIndex, as: PostgresJSON.self) else { return [] }
        do {
            let value = try JSONParser.parse(Array(stored.text.utf8))
            return try JSONObjectReader.array(value, path: "documents") { element, path throws(JSONFieldError) in
                try DocumentReference(json: element, path: path)
            }
        } catch {
            throw PostgresError(.decoding, "unreadable documents in the read model", context: ["column": "documents"])
        }
    }

    /// Writes the `documents` column into the current row of `json` (null when none).
    static func write(_ documents: [DocumentReference], into json: inout RecordsetJSON) {
        json.field("documents", array: documents.isEmpty ? nil : documents) { json, document in
            json.field("id", document.id.uppercasedString)
            json.field("use", document.use.rawValue)
            json.field("documentType", document.documentType?.rawValue)
            json.field("name", document.name)
            json.field("contentType", document.contentType)
            json.field("size", document.size)
            json.field("sha256", document.sha256)
            json.field("uploadedAt", Timestamp.format(document.uploadedAt))
        }
    }

    /// Writes the profile columns into the current row of `json` (for `jsonb_to_recordset`);
    /// all null for a tombstone.
    static func write(_ profile: ClientProfile?, into json: inout RecordsetJSON) {
        let p = profile
        json.field("name", p?.name)
        json.field("email", p?.email)
        json.field("phone", p?.phone)
        json.field("notes", p?.notes)
        json.field("status", p?.status.rawValue)
        json.field("address", p?.address)
        json.field("source", p?.source)
        json.field("agents", array: p?.agents) { json, agent in
            json.field("agentId", agent.agentId)
            json.field("agentName", agent.agentName)
        }
        json.field("display_name", p?.displayName)
        json.field("username", p?.username)
        json.field("bio", p?.bio)
        json.field("job_title", p?.jobTitle)
        json.field("company_name", p?.companyName)
        json.field("industry", p?.industry)
        json.field("website", p?.website)
        json.field("location", p?.location)
        json.field("account_type", p?.accountType?.rawValue)
        json.field("plan", p?.plan?.rawValue)
        json.field("provider", p?.provider)
        json.field("email_verified", p?.emailVerified)
        json.field("two_factor_enabled", p?.twoFactorEnabled)
        json.field("avatar", p?.avatar)
        json.field("care", rawJSON: p?.care.map { $0.json.serialized() })
    }
}
