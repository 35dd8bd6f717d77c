import ClientDomain
import Foundation
import HTTP

extension ClientRecord {
    /// This record as `InternalJSON.encoder()` writes it, built without `JSONEncoder`.
    ///
    /// The search projection answers every `GET /internal/clients/:id` with it: Foundation's
    /// encoder was 7% of the projection's CPU there. Same keys (sorted when serialised), upper
    /// case UUIDs as `UUID`'s `Codable` writes them, absent optionals left out, dates through
    /// `Timestamp.format`; `InternalJSON.decoder()` reads it back to the same record.
    public var internalJSON: JSONValue {
        var profile: [String: JSONValue] = ["status": .string(self.profile.status.rawValue)]
        if let name = self.profile.name { profile["name"] = .string(name) }
        if let email = self.profile.email { profile["email"] = .string(email) }
        if let phone = self.profile.phone { profile["phone"] = .string(phone) }
        if let notes = self.profile.notes { profile["notes"] = .string(notes) }
        return .object([
            "id": .string(id.uuidString),
            "tenantId": .string(tenantId.uuidString),
            "profile": .object(profile),
            "version": .int(version),
            "createdAt": .string(Timestamp.format(createdAt)),
            "updatedAt": .string(Timestamp.format(updatedAt)),
        ])
    }
}
