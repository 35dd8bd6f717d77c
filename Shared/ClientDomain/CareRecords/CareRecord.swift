import Foundation
import JSON

/// One goal, goal task, medication or appointment of a care client: its id and its fields,
/// held as JSON (like `CareProfile`) and checked against `CareRecordSchema` on every write.
///
/// Health information: never in a log line or an error message.
public struct CareRecord: Sendable, Equatable, Hashable {
    public var id: UUID
    /// The fields, by name (`id` is not among them).
    public var fields: [String: JSONValue]

    public init(id: UUID, fields: [String: JSONValue]) {
        self.id = id
        self.fields = fields
    }

    /// The value of `field`, if it is a string.
    public func text(_ field: String) -> String? {
        if case .string(let text)? = fields[field] { return text }
        return nil
    }

    /// This record with `changes` set (a `null` clears the field).
    public func merging(_ changes: [String: JSONValue]) -> CareRecord {
        var merged = self
        for (name, value) in changes { merged.fields[name] = value == .null ? nil : value }
        return merged
    }

    /// The record as one JSON object: `id` (lower-case) and its fields.
    public var json: JSONValue {
        var object = fields
        object["id"] = .string(id.lowercasedString)
        return .object(object)
    }

    /// Reads a record written by `json`.
    public init(json object: JSONObjectReader) throws(JSONFieldError) {
        var fields = object.fields
        fields["id"] = nil
        self.init(id: try object.parsed("id", UUID.init(canonical:)), fields: fields)
    }
}
