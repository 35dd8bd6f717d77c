import Foundation
import JSON

/// A goal, goal task, medication or appointment of the client was added or changed.
///
/// Types `client.goal_added`, `client.goal_changed`, `client.goal_task_added`,
/// `client.goal_task_changed`, `client.medication_added`, `client.medication_changed` (a
/// stop is a change to `status: stopped` with its `stopDate`), `client.appointment_added`,
/// `client.appointment_changed`; schema version 1 each. The event carries the record as it is
/// after the change and the names of the fields the command gave (`fields`), so a reader
/// replaces the record by id and a goal's history lists what changed; `goalId` names a
/// task's goal.
public struct ClientCareRecordChanged: Sendable, Equatable {
    public enum Change: String, Sendable {
        case added, changed
    }

    public static let schemaVersion = 1

    public var kind: CareRecordKind
    public var change: Change
    public var goalId: UUID?
    public var record: CareRecord
    public var fields: [String]

    public init(kind: CareRecordKind, change: Change, goalId: UUID? = nil, record: CareRecord, fields: [String]) {
        self.kind = kind
        self.change = change
        self.goalId = goalId
        self.record = record
        self.fields = fields
    }

    public var type: String { Self.type(kind, change) }

    public static func type(_ kind: CareRecordKind, _ change: Change) -> String {
        "client.\(kind.rawValue)_\(change.rawValue)"
    }

    /// The kind and change a type names, if it is one of these events'.
    public static func parse(type: String) -> (CareRecordKind, Change)? {
        for kind in CareRecordKind.allCases {
            for change in [Change.added, .changed] where type == Self.type(kind, change) { return (kind, change) }
        }
        return nil
    }

    /// `{"record": {…}, "fields": […], "goalId": …}` (`goalId` only for a task).
    public var json: JSONValue {
        var object: [String: JSONValue] = ["record": record.json, "fields": .array(fields.map(JSONValue.string))]
        if let goalId { object["goalId"] = .string(goalId.lowercasedString) }
        return .object(object)
    }

    init(kind: CareRecordKind, change: Change, json object: JSONObjectReader) throws(JSONFieldError) {
        let fields = try object.optionalArray("fields") { value, path throws(JSONFieldError) in
            try JSONObjectReader.string(value, path: path)
        }
        self.init(kind: kind, change: change, goalId: try object.optionalParsed("goalId", UUID.init(canonical:)),
                  record: try CareRecord(json: object.object("record")), fields: fields ?? [])
    }
}
