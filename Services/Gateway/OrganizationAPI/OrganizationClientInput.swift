import ClientDomain
import Foundation
import JSON

/// Reads the organization API's create and update bodies into domain profiles.
///
/// The writable fields are `name`, `phone`, `status` (`active` or `inactive`) and `notes`.
/// Any other key, read-only ones such as `id` included, is refused, so a typo never passes
/// silently. Every bad field is reported at once. Text fields keep the domain's limits
/// (`ClientFieldLimits`: `name` 200 characters and 800 bytes, `phone` 50 and 200, `notes`
/// 10,000 and 40,000, no control characters but line feed and tab in `notes`, no Unicode
/// noncharacters) and are stored as sent, without trimming.
///
/// Pure (JSON in, domain values out; no HTTP), so the input fuzz target compiles it as is.
enum OrganizationClientInput {
    static let writableFields: Set<String> = ["name", "phone", "status", "notes"]
    static let limits = ClientFieldLimits()

    /// The profile a create body asks for; `name` is required, `status` defaults to active.
    static func profile(from body: [UInt8]) throws -> ClientProfile {
        let object = try jsonObject(body)
        var issues = unknownFieldIssues(object, allowed: writableFields)
        var profile = ClientProfile()
        switch object["name"] {
        case nil, .null?: issues.append(.init(field: "name", message: "is required"))
        case .string(let name)?:
            if let problem = nameProblem(name) { issues.append(.init(field: "name", message: problem)) } else { profile.name = name }
        default: issues.append(.init(field: "name", message: "must be a string"))
        }
        profile.phone = optionalText(object, "phone", limits.phone, issues: &issues)
        profile.notes = optionalText(object, "notes", limits.notes, issues: &issues)
        if let value = object["status"], value != .null {
            if let status = status(value, issues: &issues) { profile.status = status }
        }
        guard issues.isEmpty else { throw ValidationFailure(issues) }
        return profile
    }

    /// The changes an update body asks for: absent fields stay, `null` clears `phone` or
    /// `notes`; `name` and `status` cannot be cleared.
    static func changes(from body: [UInt8]) throws -> ClientProfileChanges {
        let object = try jsonObject(body)
        var issues = unknownFieldIssues(object, allowed: writableFields)
        var changes = ClientProfileChanges()
        switch object["name"] {
        case nil: break
        case .string(let name)?:
            if let problem = nameProblem(name) { issues.append(.init(field: "name", message: problem)) } else { changes.name = .set(name) }
        case .null?: issues.append(.init(field: "name", message: "cannot be cleared"))
        default: issues.append(.init(field: "name", message: "must be a string"))
        }
        for (field, limit) in [("phone", limits.phone), ("notes", limits.notes)] where object[field] != nil {
            let change: FieldChange<String>
            if object[field] == .null {
                change = .cleared
            } else if let text = optionalText(object, field, limit, issues: &issues) {
                change = .set(text)
            } else {
                continue
            }
            if field == "phone" { changes.phone = change } else { changes.notes = change }
        }
        if let value = object["status"] {
            if value == .null {
                issues.append(.init(field: "status", message: "must be one of active, inactive"))
            } else if let status = status(value, issues: &issues) {
                changes.status = status
            }
        }
        guard issues.isEmpty else { throw ValidationFailure(issues) }
        return changes
    }

    /// The body as a JSON object; a failure naming `body` otherwise.
    static func jsonObject(_ body: [UInt8]) throws -> [String: JSONValue] {
        guard let value = try? JSONParser.parse(body) else {
            throw ValidationFailure(field: "body", "must be valid JSON")
        }
        guard case .object(let object) = value else { throw ValidationFailure(field: "body", "must be a JSON object") }
        return object
    }

    /// An issue for each key of `object` not in `allowed` (the first 10, names cut to 64
    /// characters); the leads and admin parsers use it too.
    static func unknownFieldIssues(_ object: [String: JSONValue], allowed: Set<String>) -> [ValidationFailure.Issue] {
        object.keys.filter { !allowed.contains($0) }.sorted().prefix(10).map {
            ValidationFailure.Issue(field: String($0.prefix(64)), message: "is not a writable field")
        }
    }

    private static func nameProblem(_ name: String) -> String? {
        if TextLimit.isBlank(name) { return "must not be empty" }
        return limits.name.problem(name)
    }

    /// A string field that may be absent or null (nil either way), kept to `limit`; the leads
    /// parser uses it too.
    static func optionalText(_ object: [String: JSONValue], _ field: String, _ limit: TextLimit,
                                     issues: inout [ValidationFailure.Issue]) -> String? {
        switch object[field] {
        case nil, .null?: return nil
        case .string(let text)?:
            if let problem = limit.problem(text) {
                issues.append(.init(field: field, message: problem))
                return nil
            }
            return text
        default:
            issues.append(.init(field: field, message: "must be a string"))
            return nil
        }
    }

    private static func status(_ value: JSONValue, issues: inout [ValidationFailure.Issue]) -> ClientStatus? {
        if case .string(let text) = value, let status = status(named: text) { return status }
        issues.append(.init(field: "status", message: "must be one of active, inactive"))
        return nil
    }

    /// The domain status an API status name stands for (in bodies and in list filters).
    static func status(named name: String) -> ClientStatus? {
        switch name {
        case "active": .active
        case "inactive": .inactive
        default: nil
        }
    }
}
