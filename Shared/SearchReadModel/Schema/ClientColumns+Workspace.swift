import ClientDomain
import JSON
import Postgres
import Projection

/// The `clients` table's workspace columns (migration 107): the stored contact methods and
/// custom fields, read back into the profile, and the derived `contact_types` and
/// `contact_text`, written only (the filters and text search read them).
extension ClientColumns {
    /// The stored columns, last in `list`.
    static let workspaceList = "contact_methods, custom_fields"
    static let workspaceRecordsetTypes = "contact_methods jsonb, custom_fields jsonb, contact_types text[], contact_text text"
    /// The derived columns: in the upsert, not in `list`.
    static let derivedWorkspaceColumns = ["contact_types", "contact_text"]

    /// The index of `contact_methods` in `list`.
    static let workspaceIndex = documentsIndex + 1

    /// The workspace fields stored in the row (nil when neither column holds anything).
    static func workspace(_ row: PostgresRow) throws -> WorkspaceFields? {
        let methods = try row.decodeIfPresent(workspaceIndex, as: PostgresJSON.self)
        let custom = try row.decodeIfPresent(workspaceIndex + 1, as: PostgresJSON.self)
        guard methods != nil || custom != nil else { return nil }
        do {
            var object: [String: JSONValue] = [:]
            if let methods { object["contactMethods"] = try JSONParser.parse(Array(methods.text.utf8)) }
            if let custom { object["customFields"] = try JSONParser.parse(Array(custom.text.utf8)) }
            return try WorkspaceFields(json: .object(object), path: "")
        } catch {
            throw PostgresError(.decoding, "unreadable workspace fields in the read model", context: ["column": "contact_methods"])
        }
    }

    /// Writes the workspace columns of `profile` into the current row of `json` (all null
    /// for a tombstone): the stored fields as the profile holds them, and the types and
    /// values of the contact methods the workspace API shows.
    static func writeWorkspace(of profile: ClientProfile?, into json: inout RecordsetJSON) {
        let fields = profile?.workspace
        json.field("contact_methods", rawJSON: fields?.contactMethods.map { JSONValue.array($0.map(\.json)).serialized() })
        json.field("custom_fields", rawJSON: fields.flatMap { $0.customFields.isEmpty ? nil : $0.json["customFields"]?.serialized() })
        let shown = profile?.contactMethods ?? []
        var types: [String] = []
        for method in shown where !types.contains(method.type.rawValue) { types.append(method.type.rawValue) }
        json.field("contact_types", profile == nil ? nil : "{" + types.joined(separator: ",") + "}")
        json.field("contact_text", shown.isEmpty ? nil : shown.map(\.value).joined(separator: "\n"))
    }
}
