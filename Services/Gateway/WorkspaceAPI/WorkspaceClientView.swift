import ClientDomain
import Errors
import Foundation
import HTTP
import Identity
import InternalAPI
import JSON

/// How the workspace API shows clients, custom-field definitions and errors.
///
/// A client is the whole stored client: `{id, name, avatarUrl, contactMethods, customFields,
/// createdAt, updatedAt}`; `contactMethods` all of them in their order (for a client another
/// API made without any, those derived from its email and phone), `customFields` all of them
/// as `{fieldKey, value}` ordered by key, each value typed by its definition when it fits it
/// and as text otherwise (no definition, or one made again with another type). Absent fields
/// are `null`; ids lower-case; times RFC 3339 UTC with milliseconds. Errors are `{"error":
/// message, "code": code}`, plus `details: [{field, message}]` naming every failing field.
enum WorkspaceClientView {
    /// Writes the client's JSON object as `writer`'s next value.
    static func write(_ record: ClientRecord, definitions: CustomFieldCatalog.Definitions, to writer: inout JSONWriter) {
        let profile = record.profile
        writer.object { object in
            object.member("id", record.id.lowercasedString)
            object.member("name", profile.name)
            object.member("avatarUrl", profile.avatar)
            object.key("contactMethods")
            object.array { array in
                for method in profile.contactMethods { array.value(method.json) }
            }
            object.key("customFields")
            object.array { array in
                for (key, value) in (profile.workspace?.customFields ?? [:]).sorted(by: { $0.key < $1.key }) {
                    array.value(JSONValue.object(["fieldKey": .string(key), "value": shown(value, definitions[key])]))
                }
            }
            object.member("createdAt", Timestamp.format(record.createdAt))
            object.member("updatedAt", Timestamp.format(record.updatedAt))
        }
    }

    /// A stored value as the API shows it under `definition`: typed when it fits, else text.
    static func shown(_ value: CustomFieldValue, _ definition: CustomFieldDefinition?) -> JSONValue {
        guard let definition, definition.type.fits(value) else { return .string(value.text) }
        return value.json
    }

    /// `{"client": client}` with the client's ETag.
    static func single(_ record: ClientRecord, definitions: CustomFieldCatalog.Definitions,
                       status: HTTPStatus = .ok) -> HTTPResponse {
        let body = JSONWriter.object(capacity: 512) { object in
            object.key("client")
            write(record, definitions: definitions, to: &object)
        }
        var response = HTTPResponse.json(status: status, body: body)
        response.headers.replaceOrAdd(name: "ETag", value: OrganizationClientView.etag(record.version))
        return response
    }

    /// `{"clients": [client], "nextCursor": cursor or null}`.
    static func page(_ records: [ClientRecord], nextCursor: String?, definitions: CustomFieldCatalog.Definitions) -> HTTPResponse {
        let body = JSONWriter.object(capacity: 64 + 384 * records.count) { object in
            object.key("clients")
            object.array { array in
                for record in records { write(record, definitions: definitions, to: &array) }
            }
            object.member("nextCursor", nextCursor)
        }
        return .json(status: .ok, body: body)
    }

    /// A definition: `{fieldKey, label, type, options, required, createdAt, updatedAt}`.
    static func definition(_ stored: StoredCustomFieldDefinition) -> JSONValue {
        let definition = stored.definition
        return .object([
            "fieldKey": .string(definition.fieldKey),
            "label": .string(definition.label),
            "type": .string(definition.type.rawValue),
            "options": .array(definition.options.map(JSONValue.string)),
            "required": .bool(definition.required),
            "createdAt": .string(Timestamp.format(stored.createdAt)),
            "updatedAt": .string(Timestamp.format(stored.updatedAt)),
        ])
    }

    /// `error` in this API's envelope, with the status of the shared mapping (a
    /// `WorkspaceInputFailure` is 400 or 422, naming every field).
    static func error(_ error: any Error) -> HTTPResponse {
        if let failure = error as? WorkspaceInputFailure {
            let details: [JSONValue] = failure.issues.map { ["field": .string($0.field), "message": .string($0.message)] }
            let malformed = !failure.malformed.isEmpty
            return .json(status: malformed ? .badRequest : .unprocessableContent,
                         object: ["error": malformed ? "Invalid request" : "Validation failed",
                                  "code": malformed ? "invalid_argument" : "unprocessable", "details": .array(details)])
        }
        if let convertible = error as? any ClienteleErrorConvertible, !(error is ValidationFailure) {
            let clientele = convertible.clienteleError
            // A rule the command service found broken (the domain's limits, checked again on
            // every write): well-formed JSON, so a 422 naming the field.
            if clientele.code == .invalidArgument, let field = clientele.context["field"], !field.isEmpty {
                return .json(status: .unprocessableContent, object: [
                    "error": "Validation failed", "code": "unprocessable",
                    "details": [["field": .string(field), "message": .string(clientele.message)]],
                ])
            }
            if clientele.code == .conflict, let field = clientele.context["field"] {
                return .json(status: .conflict, object: [
                    "error": .string(clientele.message), "code": "conflict",
                    "details": [["field": .string(field), "message": .string(clientele.message)]],
                ])
            }
        }
        if let failure = error as? ValidationFailure {
            let details: [JSONValue] = failure.issues.map { ["field": .string($0.field), "message": .string($0.message)] }
            return .json(status: .badRequest, object: ["error": "Invalid request", "code": "invalid_argument", "details": .array(details)])
        }
        return OrganizationClientView.error(error)
    }
}
