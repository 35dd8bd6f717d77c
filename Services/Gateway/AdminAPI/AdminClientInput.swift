import ClientDomain
import Foundation
import JSON

/// Reads the admin clients API's bodies: create, update (also each bulk item), the account
/// flags and activity routes.
///
/// The document's fields map to the shared profile (`company` is the client's own company,
/// `companyName` in the profile; the tenant is `companyId`). Enumerations follow the
/// document's validation rules; unknown fields are refused; every bad field is reported.
/// Text fields keep the domain's limits (`ClientFieldLimits`: characters and UTF-8 bytes, no
/// control characters but line feed and tab in `bio`, no Unicode noncharacters) and are
/// stored as sent.
///
/// Pure (JSON in, domain values out; no HTTP), so the input fuzz target compiles it as is.
enum AdminClientInput {
    static let limits = ClientFieldLimits()
    /// Profile text fields: API name, the change it sets, limit.
    // Key paths to stored properties of a value type are immutable and safe to share.
    nonisolated(unsafe) static let texts: [(name: String, keyPath: WritableKeyPath<ClientProfileChanges, FieldChange<String>>,
                                            limit: TextLimit)] = [
        ("displayName", \.displayName, limits.displayName), ("bio", \.bio, limits.bio), ("jobTitle", \.jobTitle, limits.jobTitle),
        ("company", \.companyName, limits.companyName), ("industry", \.industry, limits.industry), ("phone", \.phone, limits.phone),
        ("website", \.website, limits.website), ("location", \.location, limits.location),
    ]
    static let updatable: Set<String> = Set(texts.map(\.name)).union(["email", "username", "accountType", "status", "plan"])

    struct Creation {
        var profile: ClientProfile
        var companyId: JSONValue?
    }

    /// A create body: `email` required; `displayName` defaults to the email's local part (its
    /// first 200 characters), `accountType` to individual, `status` to active, `plan` to free.
    /// On create `null` means "not given", for every field.
    static func creation(from body: [UInt8]) throws -> Creation {
        let object = try OrganizationClientInput.jsonObject(body)
        var issues = OrganizationClientInput.unknownFieldIssues(object, allowed: updatable.union(["companyId"]))
        let given = object.filter { $0.value != .null }
        var profile = ClientProfile(status: .active, accountType: .individual, plan: .free)
        if given["email"] == nil {
            issues.append(.init(field: "email", message: "is required"))
        } else {
            profile.email = email(given, issues: &issues)
        }
        let changes = fields(given, issues: &issues)
        profile = profile.applying(changes)
        if profile.displayName == nil, let email = profile.email, let local = email.split(separator: "@").first {
            profile.displayName = String(String.UnicodeScalarView(local.unicodeScalars.prefix(limits.displayName.maxCharacters)))
        }
        guard issues.isEmpty else { throw ValidationFailure(issues) }
        return Creation(profile: profile, companyId: given["companyId"])
    }

    /// An update body (or a bulk item without its `id`): only given fields change; `null`
    /// clears a text field or the username; `email`, `status`, `plan`, `accountType` cannot be
    /// cleared.
    static func changes(from object: [String: JSONValue], extraAllowed: Set<String> = []) throws -> ClientProfileChanges {
        var issues = OrganizationClientInput.unknownFieldIssues(object, allowed: updatable.union(extraAllowed))
        var changes = fields(object, issues: &issues)
        if object["email"] != nil, let email = email(object, issues: &issues) { changes.email = .set(email) }
        guard issues.isEmpty else { throw ValidationFailure(issues) }
        return changes
    }

    /// `PUT .../account`: `emailVerified`, `twoFactorEnabled` (booleans), `avatar` (an
    /// http(s) URL, or null to remove).
    static func account(from body: [UInt8]) throws -> ClientProfileChanges {
        let object = try OrganizationClientInput.jsonObject(body)
        var issues = OrganizationClientInput.unknownFieldIssues(object, allowed: ["emailVerified", "twoFactorEnabled", "avatar"])
        var changes = ClientProfileChanges()
        for (name, keyPath) in [("emailVerified", \ClientProfileChanges.emailVerified),
                                ("twoFactorEnabled", \ClientProfileChanges.twoFactorEnabled)] {
            switch object[name] {
            case nil: break
            case .bool(let value)?: changes[keyPath: keyPath] = .set(value)
            default: issues.append(.init(field: name, message: "must be true or false"))
            }
        }
        switch object["avatar"] {
        case nil: break
        case .null?: changes.avatar = .cleared
        case .string(let url)?:
            if let problem = limits.avatar.problem(url) {
                issues.append(.init(field: "avatar", message: problem))
            } else if isWebURL(url) {
                changes.avatar = .set(url)
            } else {
                issues.append(.init(field: "avatar", message: "must be an http(s) URL, or null"))
            }
        default: issues.append(.init(field: "avatar", message: "must be an http(s) URL, or null"))
        }
        if object.isEmpty { issues.append(.init(field: "body", message: "must set emailVerified, twoFactorEnabled or avatar")) }
        guard issues.isEmpty else { throw ValidationFailure(issues) }
        return changes
    }

    /// `POST .../activity`: `{"type": "active"}` or `{"type": "submission"}`; true for a submission.
    static func activity(from body: [UInt8]) throws -> Bool {
        let object = try OrganizationClientInput.jsonObject(body)
        var issues = OrganizationClientInput.unknownFieldIssues(object, allowed: ["type"])
        var submission = false
        switch object["type"] {
        case .string("active")?: submission = false
        case .string("submission")?: submission = true
        default: issues.append(.init(field: "type", message: "must be active or submission"))
        }
        guard issues.isEmpty else { throw ValidationFailure(issues) }
        return submission
    }

    // MARK: Fields

    private static func fields(_ object: [String: JSONValue], issues: inout [ValidationFailure.Issue]) -> ClientProfileChanges {
        var changes = ClientProfileChanges()
        for (name, keyPath, limit) in texts where object[name] != nil {
            switch object[name] {
            case .null?:
                if name == "displayName" { issues.append(.init(field: name, message: "cannot be cleared")) }
                changes[keyPath: keyPath] = .cleared
            case .string(let text)?:
                if let problem = limit.problem(text) {
                    issues.append(.init(field: name, message: problem))
                } else if name == "website", !isWebURL(text) {
                    issues.append(.init(field: name, message: "must be an http(s) URL"))
                } else if name == "displayName", TextLimit.isBlank(text) {
                    issues.append(.init(field: name, message: "must not be empty"))
                } else {
                    changes[keyPath: keyPath] = .set(text)
                }
            default:
                issues.append(.init(field: name, message: "must be a string"))
            }
        }
        switch object["username"] {
        case nil: break
        case .null?: changes.username = .cleared
        case .string(let name)? where ClientFieldLimits.isUsername(name, lengths: limits.usernameLengths):
            changes.username = .set(name)
        default:
            issues.append(.init(field: "username", message: "must be 3 to 50 letters, digits, '.', '_' or '-'"))
        }
        if let value = object["status"] {
            if case .string(let text) = value, let status = ClientStatus(rawValue: text) { changes.status = status } else {
                issues.append(.init(field: "status", message: "must be active, inactive, suspended, or trial"))
            }
        }
        if let value = object["plan"] {
            if case .string(let text) = value, let plan = Plan(rawValue: text) { changes.plan = .set(plan) } else {
                issues.append(.init(field: "plan", message: "must be free, standard, or premium"))
            }
        }
        if let value = object["accountType"] {
            if case .string(let text) = value, let type = AccountType(rawValue: text) { changes.accountType = .set(type) } else {
                issues.append(.init(field: "accountType", message: "must be individual, business, or enterprise"))
            }
        }
        return changes
    }

    /// `email` as sent, if it is a valid address within the limits.
    private static func email(_ object: [String: JSONValue], issues: inout [ValidationFailure.Issue]) -> String? {
        guard case .string(let email)? = object["email"] else {
            issues.append(.init(field: "email", message: "must be a valid email address"))
            return nil
        }
        if let problem = APIText.clientEmailProblem(email, limit: limits.email) {
            issues.append(.init(field: "email", message: problem))
            return nil
        }
        return email
    }

    /// Whether `text` is an http(s) URL as this API takes it: `http://` or `https://` (any
    /// case), then a host that starts with none of `/?#@:`, and no white space anywhere. (The
    /// OpenAPI document states the same rule as a pattern; `URL(string:)` would take some
    /// text with spaces, percent-encoding it.)
    static func isWebURL(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.contains(where: \.properties.isWhitespace) else { return false }
        // Code point by code point, as the document's pattern reads it: `String`'s `hasPrefix`
        // and `==` compare grapheme clusters, and a mark after `//` joins the `/`.
        func scheme(_ name: String) -> Bool {
            scalars.count >= name.unicodeScalars.count
                && zip(scalars, name.unicodeScalars).allSatisfy { $0.0.isASCII && String($0.0).lowercased() == String($0.1) }
        }
        let rest: ArraySlice<Unicode.Scalar>
        if scheme("http://") { rest = scalars.dropFirst(7) } else if scheme("https://") { rest = scalars.dropFirst(8) } else {
            return false
        }
        guard let first = rest.first else { return false }
        return !"/?#@:".unicodeScalars.contains(first)
    }
}
