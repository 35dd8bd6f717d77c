import ClientDomain
import Errors
import Foundation
import JSON

/// A keyset-paged list of one tenant's clients (`GET` `InternalPaths.clientPages`), as the
/// workspace API pages them: no total, each page starting after the last client of the one
/// before (`after`), so pages stay stable while clients are added.
///
/// Filters: `text` (case-insensitive, anywhere in the name or a contact value), `contactType`
/// (the client has a contact method of that type), and `customFields`: each entry is a list
/// of JSON documents, any of which the client's custom fields must contain
/// (`jsonb @>`), every entry must hold. The gateway builds those documents from its
/// definitions, so the read model compares stored JSON and knows no definitions.
public struct ClientCursorQuery: Sendable, Equatable {
    public enum SortField: String, Sendable, CaseIterable {
        case name, createdAt, updatedAt
    }

    /// Where a page starts: after the client with this sort value (the name, or the time as
    /// `Timestamp.format` writes it; nil for a client without a name) and id.
    public struct Position: Sendable, Equatable {
        public var value: String?
        public var id: UUID

        public init(value: String?, id: UUID) {
            self.value = value
            self.id = id
        }
    }

    /// The most custom-field filters one query may carry.
    public static let maxCustomFieldFilters = 20
    /// The largest page.
    public static let maxLimit = 100

    public var tenantId: UUID
    public var text: String?
    public var contactType: ContactType?
    public var customFields: [[JSONValue]]
    public var sortBy: SortField
    public var descending: Bool
    public var limit: Int
    public var after: Position?

    public init(tenantId: UUID, text: String? = nil, contactType: ContactType? = nil, customFields: [[JSONValue]] = [],
                sortBy: SortField = .createdAt, descending: Bool = false, limit: Int = 25, after: Position? = nil) {
        self.tenantId = tenantId
        self.text = text
        self.contactType = contactType
        self.customFields = customFields
        self.sortBy = sortBy
        self.descending = descending
        self.limit = limit
        self.after = after
    }

    /// The query as the projection's query parameters.
    public var queryItems: [(String, String)] {
        var items: [(String, String)] = [("tenantId", tenantId.lowercasedString)]
        if let text { items.append(("text", text)) }
        if let contactType { items.append(("contactType", contactType.rawValue)) }
        if !customFields.isEmpty {
            let filters = JSONValue.array(customFields.map { JSONValue.array($0) })
            items.append(("customFields", String(decoding: filters.serialized(), as: UTF8.self)))
        }
        items += [("sortBy", sortBy.rawValue), ("order", descending ? "desc" : "asc"), ("limit", String(limit))]
        if let after {
            if let value = after.value { items.append(("afterValue", value)) }
            items.append(("afterId", after.id.lowercasedString))
        }
        return items
    }

    /// Reads what `queryItems` writes; an `invalidArgument` error naming the parameter otherwise.
    public init(parameter: (String) -> String?) throws {
        func invalid(_ name: String, _ expected: String) -> ClienteleError {
            ClienteleError(.invalidArgument, "The query parameter \(name) must be \(expected)", context: ["parameter": name])
        }
        guard let tenant = parameter("tenantId").flatMap(UUID.init(canonical:)) else { throw invalid("tenantId", "a UUID") }
        self.init(tenantId: tenant)
        text = parameter("text").flatMap { $0.isEmpty ? nil : $0 }
        if let type = parameter("contactType") {
            guard let contactType = ContactType(rawValue: type) else { throw invalid("contactType", "a contact type") }
            self.contactType = contactType
        }
        if let filters = parameter("customFields") {
            let malformed = invalid("customFields", "a JSON array of at most \(Self.maxCustomFieldFilters) non-empty arrays of objects")
            guard case .array(let entries)? = try? JSONParser.parse(Array(filters.utf8)),
                  entries.count <= Self.maxCustomFieldFilters else { throw malformed }
            customFields = try entries.map { entry in
                guard case .array(let documents) = entry, !documents.isEmpty,
                      documents.allSatisfy({ if case .object = $0 { true } else { false } }) else { throw malformed }
                return documents
            }
        }
        if let field = parameter("sortBy") {
            guard let sortBy = SortField(rawValue: field) else { throw invalid("sortBy", "name, createdAt or updatedAt") }
            self.sortBy = sortBy
        }
        switch parameter("order") {
        case nil, "asc"?: descending = false
        case "desc"?: descending = true
        default: throw invalid("order", "asc or desc")
        }
        if let text = parameter("limit") {
            guard let limit = Int(text), (1...Self.maxLimit).contains(limit) else { throw invalid("limit", "from 1 to \(Self.maxLimit)") }
            self.limit = limit
        }
        if let id = parameter("afterId") {
            guard let id = UUID(canonical: id) else { throw invalid("afterId", "a UUID") }
            let value = parameter("afterValue")
            if sortBy != .name, value.flatMap(Timestamp.parse) == nil { throw invalid("afterValue", "an RFC 3339 time") }
            after = Position(value: value, id: id)
        } else if parameter("afterValue") != nil {
            throw invalid("afterId", "given with afterValue")
        }
    }
}

/// A page of a `ClientCursorQuery`: the clients, and where the next page starts (nil on the
/// last page).
public struct ClientCursorPage: Sendable, Equatable {
    public var data: [ClientRecord]
    public var next: ClientCursorQuery.Position?

    public init(data: [ClientRecord], next: ClientCursorQuery.Position?) {
        self.data = data
        self.next = next
    }

    /// `{"data": [record…], "next": {"value": …, "id": …} | null}`.
    public var internalJSONBytes: [UInt8] {
        JSONWriter.object(capacity: 128 + 512 * data.count) { object in
            object.key("data")
            object.array { array in
                for record in data { record.write(to: &array) }
            }
            if let next {
                var position: [String: JSONValue] = ["id": .string(next.id.lowercasedString)]
                if let value = next.value { position["value"] = .string(value) }
                object.member("next", JSONValue.object(position))
            } else {
                object.member("next", JSONValue.null)
            }
        }
    }

    public init(internalJSON value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        let data = try JSONObjectReader.array(object.required("data", .array), path: "data") { item, path throws(JSONFieldError) in
            try ClientRecord(internalJSON: JSONObjectReader(item, path: path))
        }
        let next = try object.optionalObject("next").map { reader throws(JSONFieldError) in
            ClientCursorQuery.Position(value: try reader.optionalString("value"), id: try reader.parsed("id", UUID.init(canonical:)))
        }
        self.init(data: data, next: next)
    }
}
