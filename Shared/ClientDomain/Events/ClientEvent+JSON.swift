import Foundation
import JSON

// Each event's data as a `JSONValue`, written and read as the synthesised `Codable`
// conformances write and read it through `JSONEncoder`/`JSONDecoder`, so events stored
// before this coding existed read the same and new ones are stored in the same form.

extension ClientEvent {
    /// The event's data at its current schema version.
    public var json: JSONValue {
        switch self {
        case .created(let event): event.json
        case .profileChanged(let event): event.json
        case .deleted: .object([:])
        case .portalPasswordSet: .object([:])
        case .activityRecorded(let event): event.json
        case .documentAttached(let event): .object(["document": event.document.json])
        case .documentReplaced(let event):
            .object(["document": event.document.json, "replacedId": .string(event.replacedId.uppercasedString)])
        case .documentRemoved(let event): .object(["documentId": .string(event.documentId.uppercasedString)])
        case .careRecordChanged(let event): event.json
        case .erased: .object([:])
        }
    }

    /// Reads `type`'s data at its current schema version.
    init(type: String, json value: JSONValue) throws(JSONFieldError) {
        let object = try JSONObjectReader(value)
        switch type {
        case ClientCreated.type: self = .created(try ClientCreated(json: object))
        case ClientProfileChanged.type: self = .profileChanged(ClientProfileChanged(changes: try ClientProfileChanges(json: object.object("changes"))))
        case ClientDeleted.type: self = .deleted(ClientDeleted())
        case ClientErased.type: self = .erased(ClientErased())
        case ClientPortalPasswordSet.type: self = .portalPasswordSet(ClientPortalPasswordSet())
        case ClientActivityRecorded.type: self = .activityRecorded(ClientActivityRecorded(submission: try object.bool("submission")))
        case ClientDocumentAttached.type:
            self = .documentAttached(ClientDocumentAttached(document: try DocumentReference(json: object.object("document"))))
        case ClientDocumentReplaced.type:
            self = .documentReplaced(ClientDocumentReplaced(replacedId: try object.parsed("replacedId", UUID.init(canonical:)),
                                                            document: try DocumentReference(json: object.object("document"))))
        case ClientDocumentRemoved.type:
            self = .documentRemoved(ClientDocumentRemoved(documentId: try object.parsed("documentId", UUID.init(canonical:))))
        default:
            guard let (kind, change) = ClientCareRecordChanged.parse(type: type) else {
                throw JSONFieldError(.invalidValue, path: "", detail: "unknown event type \(type)")
            }
            self = .careRecordChanged(try ClientCareRecordChanged(kind: kind, change: change, json: object))
        }
    }
}

extension ClientCreated {
    /// `{"number": …, "profile": {…}}`, `number` left out when nil.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["profile": profile.json]
        if let number { object["number"] = .int(number) }
        return .object(object)
    }

    public init(json object: JSONObjectReader) throws(JSONFieldError) {
        self.init(profile: try ClientProfile(json: object.object("profile")), number: try object.optionalInt64("number"))
    }
}

extension ClientProfileChanged {
    /// `{"changes": {…}}`.
    public var json: JSONValue { .object(["changes": changes.json]) }
}

extension ClientActivityRecorded {
    /// `{"submission": true|false}`.
    public var json: JSONValue { .object(["submission": .bool(submission)]) }
}
