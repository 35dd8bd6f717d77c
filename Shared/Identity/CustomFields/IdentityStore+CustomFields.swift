import ClientDomain
import Errors
import Foundation
import JSON
import Postgres

/// A workspace's custom-field definition as stored, with when it was made and last changed.
public struct StoredCustomFieldDefinition: Sendable, Equatable {
    public var definition: CustomFieldDefinition
    public var createdAt: Date
    public var updatedAt: Date

    public init(definition: CustomFieldDefinition, createdAt: Date, updatedAt: Date) {
        self.definition = definition
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Changes to a definition; nil fields stay. Its key and type never change (a value stored
/// under one type would no longer fit it).
public struct CustomFieldDefinitionChanges: Sendable, Equatable {
    public var label: String?
    public var options: [String]?
    public var required: Bool?

    public init(label: String? = nil, options: [String]? = nil, required: Bool? = nil) {
        self.label = label
        self.options = options
        self.required = required
    }
}

/// Each workspace's (company's) custom-field definitions, in `custom_field_definitions`
/// (identity migration 7). The gateway checks the definitions themselves
/// (`CustomFieldDefinition.problems`) before storing them.
extension IdentityStore {
    /// The most definitions one workspace may hold.
    public static let maxCustomFieldDefinitions = 100

    static let definitionColumns = "field_key, label, type, options, required, created_at, updated_at"

    /// The company's definitions, by key.
    public func customFieldDefinitions(companyId: UUID) async throws -> [StoredCustomFieldDefinition] {
        try await pool.query("""
            SELECT \(Self.definitionColumns) FROM custom_field_definitions WHERE company_id = $1 ORDER BY field_key
            """, [companyId]).map(Self.definition(from:))
    }

    /// Stores a new definition; `conflict` when the key is defined already or the workspace
    /// holds `maxCustomFieldDefinitions`. Creations in one company take turns (the company's
    /// row is locked), so the count holds under concurrency.
    public func createCustomFieldDefinition(_ definition: CustomFieldDefinition,
                                            companyId: UUID) async throws -> StoredCustomFieldDefinition {
        let options = Self.optionsJSON(definition.options)
        return try await pool.withTransaction { connection in
            guard try !connection.query("SELECT 1 FROM companies WHERE id = $1 FOR UPDATE", [companyId]).isEmpty else {
                throw ClienteleError(.notFound, "Workspace not found")
            }
            let count = try connection.query("SELECT count(*) FROM custom_field_definitions WHERE company_id = $1",
                                              [companyId])[0].decode(0, as: Int.self)
            guard count < Self.maxCustomFieldDefinitions else {
                throw ClienteleError(.conflict,
                                     "A workspace may define at most \(Self.maxCustomFieldDefinitions) custom fields; delete one first")
            }
            let rows = try connection.query("""
                INSERT INTO custom_field_definitions (company_id, field_key, label, type, options, required)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING \(Self.definitionColumns)
                """, [companyId, definition.fieldKey, definition.label, definition.type.rawValue, options, definition.required])
            guard let row = rows.first else {
                throw ClienteleError(.conflict, "A custom field with this fieldKey exists already", context: ["field": "fieldKey"])
            }
            return try Self.definition(from: row)
        }
    }

    /// Applies `changes` to the company's definition `fieldKey` after `check` accepts the
    /// result (it throws to refuse); nil when there is no such definition.
    public func updateCustomFieldDefinition(fieldKey: String, companyId: UUID, _ changes: CustomFieldDefinitionChanges,
                                            check: @escaping @Sendable (CustomFieldDefinition) throws -> Void)
    async throws -> StoredCustomFieldDefinition? {
        try await pool.withTransaction { connection in
            guard let row = try connection.query("""
                SELECT \(Self.definitionColumns) FROM custom_field_definitions WHERE company_id = $1 AND field_key = $2 FOR UPDATE
                """, [companyId, fieldKey]).first else { return nil }
            var definition = try Self.definition(from: row).definition
            if let label = changes.label { definition.label = label }
            if let options = changes.options { definition.options = options }
            if let required = changes.required { definition.required = required }
            try check(definition)
            let updated = try connection.query("""
                UPDATE custom_field_definitions SET label = $3, options = $4, required = $5, updated_at = now()
                WHERE company_id = $1 AND field_key = $2 RETURNING \(Self.definitionColumns)
                """, [companyId, fieldKey, definition.label, Self.optionsJSON(definition.options), definition.required])
            return try Self.definition(from: updated[0])
        }
    }

    /// Deletes the company's definition `fieldKey`; false when there was none. Clients keep
    /// the values stored under the key.
    @discardableResult
    public func deleteCustomFieldDefinition(fieldKey: String, companyId: UUID) async throws -> Bool {
        try await pool.execute("DELETE FROM custom_field_definitions WHERE company_id = $1 AND field_key = $2",
                               [companyId, fieldKey]) == 1
    }

    static func optionsJSON(_ options: [String]) -> PostgresJSON {
        PostgresJSON(text: String(decoding: JSONValue.array(options.map(JSONValue.string)).serialized(), as: UTF8.self))
    }

    static func definition(from row: PostgresRow) throws -> StoredCustomFieldDefinition {
        let typeName = try row.decode(2, as: String.self)
        guard let type = CustomFieldType(rawValue: typeName) else {
            throw PostgresError(.decoding, "unknown custom field type in the identity database", context: ["column": "type"])
        }
        let optionsText = try row.decode(3, as: PostgresJSON.self).text
        guard case .array(let items)? = try? JSONParser.parse(Array(optionsText.utf8)) else {
            throw PostgresError(.decoding, "unreadable custom field options", context: ["column": "options"])
        }
        let options = items.compactMap { if case .string(let option) = $0 { option } else { nil } }
        let definition = CustomFieldDefinition(fieldKey: try row.decode(0, as: String.self), label: try row.decode(1, as: String.self),
                                               type: type, options: options, required: try row.decode(4, as: Bool.self))
        return StoredCustomFieldDefinition(definition: definition, createdAt: try row.decode(5, as: Date.self),
                                           updatedAt: try row.decode(6, as: Date.self))
    }
}
