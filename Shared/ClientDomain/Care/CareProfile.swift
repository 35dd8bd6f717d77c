import JSON

/// The care (NDIS) API's sections of a client: `personalInfo` (first and last name, date of
/// birth, gender), `address`, `ndisDetails`, `medicalInfo` and `emergencyContacts`, as the
/// care API's document shapes them.
///
/// Held as the JSON document itself, checked against `CareSchema` on every write (the
/// decider refuses a profile whose care sections break it), so the one codec is the JSON and
/// a section is added to the schema, not to a type per field. The client's email and phone
/// are not in here: `personalInfo.email` and `phone` are the client's `email` and `phone`
/// (one client, many faces), and `CarePatch` writes them there. Its first and last name are
/// here, and the client's `name` is kept as "first last" whenever a care write gives them.
///
/// Health information (medical information, NDIS details, date of birth): never in a log
/// line or an error message. `CareSchema`'s messages name fields, never values.
public struct CareProfile: Sendable, Equatable, Hashable {
    /// The sections, by name; each a JSON object, except `emergencyContacts` (an array).
    public private(set) var sections: [String: JSONValue]

    public init(sections: [String: JSONValue] = [:]) {
        self.sections = sections
    }

    /// The value at `section.field`, if that is a string.
    public func text(_ section: String, _ field: String) -> String? {
        if case .string(let text)? = sections[section]?[field] { return text }
        return nil
    }

    public var firstName: String? { text(CareSchema.personalInfo, "firstName") }
    public var lastName: String? { text(CareSchema.personalInfo, "lastName") }
    /// The NDIS participant number: nine digits starting with 43; unique within a tenant (a
    /// unique claim, `ndisNumber`).
    public var ndisNumber: String? { text(CareSchema.ndisDetails, "ndisNumber") }
    /// The plan manager's user id (lower-case UUID).
    public var planManager: String? { text(CareSchema.ndisDetails, "planManager") }
    /// The support coordinator's user id (lower-case UUID).
    public var supportCoordinator: String? { text(CareSchema.ndisDetails, "supportCoordinator") }

    /// This profile with `patch`'s care sections merged in (RFC 7396: an object merges key by
    /// key, anything else replaces, `null` removes), without `personalInfo.email` and `phone`
    /// (the caller moves those to the client's own fields).
    public func merging(_ patch: CarePatch) -> CareProfile {
        var merged = CarePatch.merge(.object(sections), patch: .object(patch.sections))
        if case .object(var personal)? = merged[CareSchema.personalInfo] {
            personal["email"] = nil
            personal["phone"] = nil
            if case .object(var all) = merged {
                all[CareSchema.personalInfo] = personal.isEmpty ? nil : .object(personal)
                merged = .object(all)
            }
        }
        if case .object(let all) = merged { return CareProfile(sections: all) }
        return CareProfile()
    }

    /// The problems of these sections, in field order (none for a valid profile).
    public var issues: [CareIssue] { CareSchema.issues(of: self) }
}
