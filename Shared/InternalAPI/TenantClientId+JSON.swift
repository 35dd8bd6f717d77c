import Foundation
import JSON

/// The batch lookup's wire shapes, read and written without `Codable`.
///
/// Request: `{"lookups":[{"id":"…","tenantId":"…"}|{"number":n,"tenantId":"…"}|{"number":n},…]}`,
/// 1 to `maxPerLookup` entries: an id always with its tenant, a number (positive) with or
/// without one.
/// Answer: `{"data":[<ClientRecord internalJSON>|null,…]}`, one entry per lookup in request
/// order; `null` when the client does not exist in that tenant or was deleted.
extension TenantClientId {
    /// A request body asking for `lookups`.
    public static func requestJSON(_ lookups: [TenantClientId]) -> JSONValue {
        .object(["lookups": .array(lookups.map { lookup in
            var entry: [String: JSONValue] = [:]
            switch lookup.key {
            case .id(let id): entry["id"] = .string(id.lowercasedString)
            case .number(let number): entry["number"] = .int(number)
            }
            if let tenantId = lookup.tenantId { entry["tenantId"] = .string(tenantId.lowercasedString) }
            return .object(entry)
        })])
    }

    /// The lookups of a request body; an error naming the field for a bad id or tenant, and
    /// naming `lookups` when the list is missing, empty or longer than `maxPerLookup`.
    public static func lookups(fromRequest value: JSONValue) throws(JSONFieldError) -> [TenantClientId] {
        let object = try JSONObjectReader(value)
        let list = try object.required("lookups", .array)
        if case .array(let items) = list, items.isEmpty || items.count > maxPerLookup {
            throw JSONFieldError(.invalidValue, path: "lookups",
                                 detail: "lookups: \(items.count) entries, expected 1 to \(maxPerLookup)")
        }
        return try JSONObjectReader.array(list, path: "lookups") { item, path throws(JSONFieldError) in
            let entry = try JSONObjectReader(item, path: path)
            guard entry.optional("id") == nil, let number = try entry.optionalInt64("number") else {
                return TenantClientId(id: try entry.parsed("id", UUID.init(canonical:)),
                                      tenantId: try entry.parsed("tenantId", UUID.init(canonical:)))
            }
            guard number > 0 else {
                throw JSONFieldError(.invalidValue, path: entry.path(of: "number"), detail: "number: expected a positive integer")
            }
            return TenantClientId(number: number, tenantId: try entry.optionalParsed("tenantId", UUID.init(canonical:)))
        }
    }

    /// An answer body: `records[i]` answers the request's `i`th lookup.
    public static func answerJSON(_ records: [ClientRecord?]) -> [UInt8] {
        JSONWriter.object(capacity: 16 + 512 * records.count) { object in
            object.key("data")
            object.array { array in
                for record in records {
                    if let record { record.write(to: &array) } else { array.value(JSONValue.null) }
                }
            }
        }
    }

    /// The records of an answer body, one per lookup of the request (`null` read as nil).
    public static func records(fromAnswer value: JSONValue) throws(JSONFieldError) -> [ClientRecord?] {
        let object = try JSONObjectReader(value)
        return try JSONObjectReader.array(object.required("data", .array), path: "data") { item, path throws(JSONFieldError) in
            if case .null = item { return nil }
            return try ClientRecord(internalJSON: JSONObjectReader(item, path: path))
        }
    }
}
