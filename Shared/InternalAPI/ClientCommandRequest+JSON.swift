import ClientDomain
import Foundation
import JSON

extension ClientCommandRequest {
    /// This request's wire shape (serialised with sorted keys, upper-case UUIDs, absent
    /// optionals left out), built without `JSONEncoder`.
    public var internalJSON: JSONValue {
        var object: [String: JSONValue] = [
            "command": .string(command.rawValue),
            "clientId": .string(clientId.uppercasedString),
            "tenantId": .string(tenantId.uppercasedString),
            "actor": actor.internalJSON,
        ]
        if let profile { object["profile"] = profile.json }
        if let changes { object["changes"] = changes.json }
        if let expectedVersion { object["expectedVersion"] = .int(expectedVersion) }
        if let idempotency { object["idempotency"] = idempotency.internalJSON }
        if let portalPasswordHash { object["portalPasswordHash"] = .string(portalPasswordHash) }
        if let submission { object["submission"] = .bool(submission) }
        if let document { object["document"] = document.json }
        if let documentId { object["documentId"] = .string(documentId.uppercasedString) }
        if let careRecord { object["careRecord"] = careRecord.internalJSON }
        return .object(object)
    }

    /// Reads a request without `JSONDecoder`: unknown keys ignored, optional keys absent or
    /// `null`, UUIDs in either case; it fails on the first bad field, so the command service's
    /// 400s name that field.
    public init(internalJSON value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        let command = try object.parsed("command", Kind.init(rawValue:))
        let clientId = try object.parsed("clientId", UUID.init(canonical:))
        let tenantId = try object.parsed("tenantId", UUID.init(canonical:))
        let profile = try object.optionalObject("profile").map { reader throws(JSONFieldError) in
            try ClientProfile(json: reader)
        }
        let changes = try object.optionalObject("changes").map { reader throws(JSONFieldError) in
            try ClientProfileChanges(json: reader)
        }
        let expectedVersion = try object.optionalInt64("expectedVersion")
        let actor = try Actor(internalJSON: object.object("actor"))
        let idempotency = try object.optionalObject("idempotency").map { reader throws(JSONFieldError) in
            try IdempotencyToken(internalJSON: reader)
        }
        self.init(command: command, clientId: clientId, tenantId: tenantId, profile: profile, changes: changes,
                  expectedVersion: expectedVersion, actor: actor, idempotency: idempotency,
                  portalPasswordHash: try object.optionalString("portalPasswordHash"),
                  submission: try object.optionalBool("submission"),
                  document: try object.optionalObject("document").map { reader throws(JSONFieldError) in
                      try DocumentReference(json: reader)
                  },
                  documentId: try object.optionalParsed("documentId", UUID.init(canonical:)),
                  careRecord: try object.optionalObject("careRecord").map { reader throws(JSONFieldError) in
                      try CareRecordChange(internalJSON: reader)
                  })
    }
}

extension CareRecordChange {
    var internalJSON: JSONValue {
        var object: [String: JSONValue] = ["kind": .string(kind.rawValue), "change": .string(change.rawValue),
                                           "id": .string(id.uppercasedString), "fields": .object(fields)]
        if let goalId { object["goalId"] = .string(goalId.uppercasedString) }
        return .object(object)
    }

    init(internalJSON object: JSONObjectReader) throws(JSONFieldError) {
        self.init(kind: try object.parsed("kind", CareRecordKind.init(rawValue:)),
                  change: try object.parsed("change", ClientCareRecordChanged.Change.init(rawValue:)),
                  id: try object.parsed("id", UUID.init(canonical:)),
                  goalId: try object.optionalParsed("goalId", UUID.init(canonical:)),
                  fields: try object.object("fields").fields)
    }
}

extension IdempotencyToken {
    var internalJSON: JSONValue {
        .object(["scope": .string(scope), "key": .string(key), "requestHash": .string(requestHash)])
    }

    init(internalJSON object: JSONObjectReader) throws(JSONFieldError) {
        self.init(scope: try object.string("scope"), key: try object.string("key"), requestHash: try object.string("requestHash"))
    }
}

extension ClientCommandResponse {
    /// This response's wire text, written without `JSONEncoder` (sorted keys, `client`,
    /// `careRecord` and an empty `detachedDocumentIds` left out when absent).
    public var internalJSONBytes: [UInt8] {
        JSONWriter.object(capacity: 640) { object in
            if let careRecord { object.member("careRecord", careRecord.json) }
            if let client {
                object.key("client")
                client.write(to: &object)
            }
            if !detachedDocumentIds.isEmpty {
                object.member("detachedDocumentIds", JSONValue.array(detachedDocumentIds.map { .string($0.uppercasedString) }))
            }
            object.member("replayed", replayed)
            object.member("version", version)
        }
    }

    /// Reads a response without `JSONDecoder`.
    public init(internalJSON value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        let client = try object.optionalObject("client").map { reader throws(JSONFieldError) in try ClientRecord(internalJSON: reader) }
        let detached = try object.optionalArray("detachedDocumentIds") { value, path throws(JSONFieldError) in
            guard let id = UUID(canonical: try JSONObjectReader.string(value, path: path)) else {
                throw JSONFieldError(.invalidValue, path: path, detail: "expected a UUID")
            }
            return id
        }
        let careRecord = try object.optionalObject("careRecord").map { reader throws(JSONFieldError) in try CareRecord(json: reader) }
        self.init(client: client, version: try object.int64("version"), replayed: try object.bool("replayed"),
                  detachedDocumentIds: detached ?? [], careRecord: careRecord)
    }
}
