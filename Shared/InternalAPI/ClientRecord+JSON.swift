import ClientDomain
import Foundation
import JSON

extension ClientRecord {
    /// This record's wire text, written without `JSONEncoder`: keys in ascending order,
    /// upper-case UUIDs, absent optionals and an empty `documents` left out, dates through
    /// `Timestamp.format` (the conventions of `InternalJSON`). `init(internalJSON:)` reads it
    /// back to the same record.
    ///
    /// The search projection answers every client lookup with it: Foundation's encoder, or a
    /// `JSONValue` dictionary built per record, cost the projection CPU on every one (measured:
    /// docs/performance.md, design measurements).
    public var internalJSONBytes: [UInt8] {
        var writer = JSONWriter(capacity: 512)
        write(to: &writer)
        return writer.bytes
    }

    /// Writes `internalJSONBytes` as the next value of `writer`.
    public func write(to writer: inout JSONWriter) {
        writer.object { object in
            // Keys in ascending order.
            if let careRecords { object.member("careRecords", careRecords) }
            object.member("createdAt", Timestamp.format(createdAt))
            if let createdBy { object.member("createdBy", createdBy.internalJSON) }
            if !documents.isEmpty { object.member("documents", JSONValue.array(documents.map(\.json))) }
            object.member("hasJoined", hasJoined)
            object.member("id", id.uppercasedString)
            if let lastActiveAt { object.member("lastActiveAt", Timestamp.format(lastActiveAt)) }
            if let number { object.member("number", number) }
            object.member("profile", profile.json)
            object.member("submissionCount", submissionCount)
            object.member("tenantId", tenantId.uppercasedString)
            object.member("updatedAt", Timestamp.format(updatedAt))
            object.member("version", version)
        }
    }

    /// Reads a record from `internalJSONBytes`' shape without `JSONDecoder`.
    ///
    /// Unknown keys are ignored, optional keys may be absent or `null`, UUIDs in either case,
    /// dates as `Timestamp.parse` reads them; it fails naming the first bad field. The gateway
    /// decodes every search answer with it (`JSONDecoder` there cost the gateway a large share
    /// of its CPU per GET; measured: docs/performance.md, design measurements).
    public init(internalJSON value: JSONValue) throws(JSONFieldError) {
        try self.init(internalJSON: JSONObjectReader(value))
    }

    init(internalJSON object: JSONObjectReader) throws(JSONFieldError) {
        let id = try object.parsed("id", UUID.init(canonical:))
        let tenantId = try object.parsed("tenantId", UUID.init(canonical:))
        let profile = try ClientProfile(json: object.object("profile"))
        let version = try object.int64("version")
        let createdAt = try object.parsed("createdAt", Timestamp.parse)
        let updatedAt = try object.parsed("updatedAt", Timestamp.parse)
        let number = try object.optionalInt64("number")
        let createdBy = try object.optionalObject("createdBy").map { reader throws(JSONFieldError) in try Actor(internalJSON: reader) }
        let hasJoined = try object.bool("hasJoined")
        let lastActiveAt = try object.optionalParsed("lastActiveAt", Timestamp.parse)
        let submissionCount = try object.int64("submissionCount")
        let documents = try object.optionalArray("documents") { value, path throws(JSONFieldError) in
            try DocumentReference(json: value, path: path)
        }
        let careRecords = object.optional("careRecords")
        self.init(id: id, tenantId: tenantId, profile: profile, version: version, createdAt: createdAt, updatedAt: updatedAt,
                  number: number, createdBy: createdBy, hasJoined: hasJoined, lastActiveAt: lastActiveAt,
                  submissionCount: submissionCount, documents: documents ?? [], careRecords: careRecords)
    }
}
