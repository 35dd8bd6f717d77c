import ClientDomain
import Foundation

/// The HubSpot contact properties a client's profile maps to (docs/api/crm-sync.md, "Property
/// mapping").
///
/// Every mapped property is always present, as `""` when the profile has no value: HubSpot
/// clears a property given an empty string, so a field removed from the profile is removed
/// in the CRM, and sending the same version twice writes the same values (a re-send after a
/// restart changes nothing).
public struct CRMContactProperties: Sendable, Equatable {
    /// The custom unique property holding the client's id: the upsert's `idProperty`.
    public static let clientIdProperty = "clientele_id"

    /// Property name to value, every value a string (HubSpot's property values are strings).
    public private(set) var values: [String: String]

    public init(values: [String: String]) { self.values = values }

    /// The properties of `clientId`'s profile.
    public init(clientId: UUID, profile: ClientProfile) {
        let (firstName, lastName) = Self.splitName(profile.name ?? profile.displayName)
        let (city, country) = Self.splitLocation(profile.location)
        values = [
            Self.clientIdProperty: clientId.uuidString.lowercased(),
            "email": profile.email ?? "",
            "firstname": firstName,
            "lastname": lastName,
            "phone": profile.phone ?? "",
            "company": profile.companyName ?? "",
            "website": profile.website ?? "",
            "jobtitle": profile.jobTitle ?? "",
            "industry": profile.industry ?? "",
            "city": city,
            "country": country,
            "lifecyclestage": Self.lifecycleStage(profile.status),
        ]
    }

    /// First word, then the rest (trimmed): "Ada King Lovelace" is ("Ada", "King Lovelace").
    static func splitName(_ name: String?) -> (String, String) {
        let trimmed = (name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let space = trimmed.firstIndex(where: \.isWhitespace) else { return (trimmed, "") }
        return (String(trimmed[..<space]), trimmed[space...].trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The location's first comma-separated part is the city and its last the country (the
    /// stats read the country the same way); a location of one part is a country.
    static func splitLocation(_ location: String?) -> (city: String, country: String) {
        let parts = (location ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
        switch parts.count {
        case 0: return ("", "")
        case 1: return ("", parts[0])
        default: return (parts[0], parts[parts.count - 1])
        }
    }

    /// HubSpot's internal lifecycle stage values for a client's status.
    static func lifecycleStage(_ status: ClientStatus) -> String {
        switch status {
        case .active: "customer"
        case .trial: "opportunity"
        case .inactive, .suspended, .terminated: "other"
        }
    }
}
