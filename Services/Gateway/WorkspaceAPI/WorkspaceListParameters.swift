import ClientDomain
import Crypto
import Foundation
import HTTP
import InternalAPI
import JSON

/// Reads `GET /v1/workspace/:workspaceId/clients` query parameters into a `ClientCursorQuery`.
///
/// `limit` 1–100 (25); `cursor` (a `nextCursor` this API gave, for the same `sort`); `q` up to
/// 200 characters without control characters (case-insensitive, anywhere in the name or a
/// contact value; empty is no filter); `contactType` (one of the contact types); `sort` one
/// of `name`, `createdAt`, `updatedAt`, `-` in front for descending (`createdAt`); and up to
/// 20 custom-field filters `cf.<fieldKey>=<value>`, all of which must hold. A filter on a
/// defined field compares as its type: a number numerically, `true`/`false` for a boolean,
/// a date `YYYY-MM-DD`, a select option exactly, and a multiselect holding that option; on a
/// key without a definition it matches a text value exactly, and a number or boolean whose text
/// it is. Bad values are 400, every bad parameter named; unknown parameters are ignored.
enum WorkspaceListParameters {
    static let textLimit = TextLimit(characters: 200)
    static let defaultLimit = 25
    static let sortNames = ["name", "createdAt", "updatedAt"]

    static func query(from request: HTTPRequest, workspaceId: UUID,
                      definitions: CustomFieldCatalog.Definitions) throws -> ClientCursorQuery {
        var failure = WorkspaceInputFailure()
        var query = ClientCursorQuery(tenantId: workspaceId, limit: defaultLimit)
        if let raw = request.queryParameter("limit") {
            if let limit = Int(raw), (1...ClientCursorQuery.maxLimit).contains(limit) { query.limit = limit } else {
                failure.malformed("limit", "must be an integer from 1 to \(ClientCursorQuery.maxLimit)")
            }
        }
        if let raw = request.queryParameter("q"), !raw.isEmpty {
            if let problem = textLimit.problem(raw) { failure.malformed("q", problem) } else { query.text = raw }
        }
        if let raw = request.queryParameter("contactType") {
            if let type = ContactType(rawValue: raw) { query.contactType = type } else {
                failure.malformed("contactType", "must be one of \(WorkspaceClientInput.contactTypes)")
            }
        }
        if let raw = request.queryParameter("sort") {
            let descending = raw.hasPrefix("-")
            if let field = ClientCursorQuery.SortField(rawValue: String(raw.dropFirst(descending ? 1 : 0))) {
                query.sortBy = field
                query.descending = descending
            } else {
                failure.malformed("sort", "must be one of name, createdAt, updatedAt, with - in front for descending")
            }
        }
        var seen = Set<String>()
        for (name, value) in request.queryParameters() where name.hasPrefix("cf.") {
            let key = String(name.dropFirst(3))
            guard WorkspaceFieldLimits.isFieldKey(key) else {
                failure.malformed(String(name.prefix(67)), "names a fieldKey that " + WorkspaceFieldLimits.fieldKeyRule)
                continue
            }
            guard query.customFields.count < ClientCursorQuery.maxCustomFieldFilters else {
                if seen.insert("cf").inserted {
                    failure.malformed("cf", "at most \(ClientCursorQuery.maxCustomFieldFilters) custom-field filters")
                }
                continue
            }
            switch candidates(key: key, value: value, definition: definitions[key]) {
            case .success(let documents): query.customFields.append(documents)
            case .failure(let problem): failure.malformed(name, problem.message)
            }
        }
        if let raw = request.queryParameter("cursor") {
            if let position = position(raw, sort: query) { query.after = position } else {
                failure.malformed("cursor", "must be a nextCursor this API gave for the same sort")
            }
        }
        try failure.check()
        return query
    }

    /// The JSON documents a custom field holding `value` contains, any of which matches.
    static func candidates(key: String, value: String, definition: CustomFieldDefinition?) -> Result<[JSONValue], CustomFieldProblem> {
        func document(_ stored: JSONValue) -> JSONValue { .object([key: stored]) }
        guard let definition else {
            var documents = [document(.string(value))]
            if let number = number(value), let stored = CustomFieldValue.number(number) { documents.append(document(stored.json)) }
            if value == "true" || value == "false" { documents.append(document(.bool(value == "true"))) }
            return .success(documents)
        }
        switch definition.type {
        case .text, .date, .select:
            return definition.check(.string(value)).map { [document($0.json)] }
        case .number:
            guard let number = number(value), let stored = CustomFieldValue.number(number) else {
                return .failure(CustomFieldProblem("must be a number"))
            }
            return .success([document(stored.json)])
        case .boolean:
            guard value == "true" || value == "false" else { return .failure(CustomFieldProblem("must be true or false")) }
            return .success([document(.bool(value == "true"))])
        case .multiselect:
            guard definition.options.contains(where: { Array($0.utf8) == Array(value.utf8) }) else {
                return .failure(CustomFieldProblem("must be one of the field's options"))
            }
            return .success([document(.array([.string(value)]))])
        }
    }

    /// `text` as a JSON number (JSON's grammar, read by `JSONParser`), if it is one.
    static func number(_ text: String) -> Double? {
        switch try? JSONParser.parse(Array(text.utf8)) {
        case .int(let number)?: Double(number)
        case .number(let number)?: number
        default: nil
        }
    }

    // MARK: Cursors

    /// The sort as the `sort` parameter writes it.
    static func sortText(_ query: ClientCursorQuery) -> String {
        (query.descending ? "-" : "") + query.sortBy.rawValue
    }

    /// `position` as an opaque cursor: base64url of `{"s": sort, "v": value or null, "id": id}`.
    static func cursor(_ position: ClientCursorQuery.Position, sort query: ClientCursorQuery) -> String {
        let value: JSONValue = [
            "s": .string(sortText(query)), "v": position.value.map(JSONValue.string) ?? .null,
            "id": .string(position.id.lowercasedString),
        ]
        return Base64URL.encode(value.serialized())
    }

    /// The position a cursor holds, if it is one this API wrote for `query`'s sort.
    static func position(_ cursor: String, sort query: ClientCursorQuery) -> ClientCursorQuery.Position? {
        guard cursor.utf8.count <= 4096, let bytes = Base64URL.decode(cursor), let value = try? JSONParser.parse(bytes),
              case .string(let sort)? = value["s"], sort == sortText(query),
              case .string(let idText)? = value["id"], let id = UUID(canonical: idText) else { return nil }
        switch value["v"] {
        case .string(let text)?:
            if query.sortBy != .name, Timestamp.parse(text) == nil { return nil }
            return ClientCursorQuery.Position(value: text, id: id)
        case .null?:
            return query.sortBy == .name ? ClientCursorQuery.Position(value: nil, id: id) : nil
        default:
            return nil
        }
    }
}
