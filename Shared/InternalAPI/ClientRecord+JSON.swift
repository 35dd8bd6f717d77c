import ClientDomain
import Foundation
import HTTP

extension ClientRecord {
    /// This record as `InternalJSON.encoder()` writes it, built without `JSONEncoder`.
    ///
    /// The search projection answers every `GET /internal/clients/:id` with it: Foundation's
    /// encoder was 7% of the projection's CPU there. Same keys (sorted when serialised), upper
    /// case UUIDs as `UUID`'s `Codable` writes them, absent optionals left out, dates through
    /// `Timestamp.format`; `init(internalJSON:)` and `InternalJSON.decoder()` read it back to
    /// the same record.
    public var internalJSON: JSONValue {
        var record: [String: JSONValue] = [
            "id": .string(id.uuidString),
            "tenantId": .string(tenantId.uuidString),
            "profile": profile.json,
            "version": .int(version),
            "createdAt": .string(Timestamp.format(createdAt)),
            "updatedAt": .string(Timestamp.format(updatedAt)),
            "hasJoined": .bool(hasJoined),
            "submissionCount": .int(submissionCount),
        ]
        if let lastActiveAt { record["lastActiveAt"] = .string(Timestamp.format(lastActiveAt)) }
        if let number { record["number"] = .int(number) }
        if let createdBy { record["createdBy"] = createdBy.internalJSON }
        return .object(record)
    }

    /// Reads a record from `internalJSON`'s shape without `JSONDecoder`.
    ///
    /// Accepts and refuses what `InternalJSON.decoder()` does (unknown keys ignored, optional
    /// keys absent or `null`, UUIDs in either case, dates as `Timestamp.parse` reads them) and
    /// fails on the same first field; the gateway decodes every search answer with it
    /// (`JSONDecoder` was 17% of the gateway's CPU per GET).
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
        self.init(id: id, tenantId: tenantId, profile: profile, version: version, createdAt: createdAt, updatedAt: updatedAt,
                  number: number, createdBy: createdBy, hasJoined: hasJoined, lastActiveAt: lastActiveAt,
                  submissionCount: submissionCount)
    }
}
