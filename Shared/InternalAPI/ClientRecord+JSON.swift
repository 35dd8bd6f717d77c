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
        if let address = self.profile.address { profile["address"] = .string(address) }
        if let source = self.profile.source { profile["source"] = .string(source) }
        if let agents = self.profile.agents {
            profile["agents"] = .array(agents.map { .object(["agentId": .int($0.agentId), "agentName": .string($0.agentName)]) })
        }
        let texts: [(String, String?)] = [
            ("displayName", self.profile.displayName), ("username", self.profile.username), ("bio", self.profile.bio),
            ("jobTitle", self.profile.jobTitle), ("companyName", self.profile.companyName), ("industry", self.profile.industry),
            ("website", self.profile.website), ("location", self.profile.location),
            ("accountType", self.profile.accountType?.rawValue), ("plan", self.profile.plan?.rawValue),
            ("provider", self.profile.provider), ("avatar", self.profile.avatar),
        ]
        for case let (key, text?) in texts { profile[key] = .string(text) }
        if let verified = self.profile.emailVerified { profile["emailVerified"] = .bool(verified) }
        if let twoFactor = self.profile.twoFactorEnabled { profile["twoFactorEnabled"] = .bool(twoFactor) }
        var record: [String: JSONValue] = [
            "id": .string(id.uuidString),
            "tenantId": .string(tenantId.uuidString),
            "profile": .object(profile),
            "version": .int(version),
            "createdAt": .string(Timestamp.format(createdAt)),
            "updatedAt": .string(Timestamp.format(updatedAt)),
            "hasJoined": .bool(hasJoined),
            "submissionCount": .int(submissionCount),
        ]
        if let lastActiveAt { record["lastActiveAt"] = .string(Timestamp.format(lastActiveAt)) }
        if let number { record["number"] = .int(number) }
        if let createdBy { record["createdBy"] = .object(["kind": .string(createdBy.kind.rawValue), "id": .string(createdBy.id)]) }
        return .object(record)
    }
}
