import ClientDomain
import Foundation
import HTTP
import Identity

/// Reads the leads API's create, update and change-password bodies.
///
/// Writable fields: `name`, `email`, `phone`, `address`, `source`, `agents`
/// (`[{agentId, agentName?}]`), `isActive`, and on create `company` (a company number).
/// Any other key is refused, so a typo never passes silently; every bad field is reported
/// at once. An agent's missing `agentName` is left empty here and filled from the user by
/// `LeadsAgents`.
enum LeadsClientInput {
    static let updatableFields: Set<String> = ["name", "email", "phone", "address", "source", "agents", "isActive"]
    static let createFields = updatableFields.union(["company"])
    static let limits = ClientFieldLimits()

    /// A create body: the profile and the company number it names.
    struct Creation: Equatable {
        var profile: ClientProfile
        var companyNumber: Int64
    }

    /// `name`, `email` and `company` are required; `isActive` defaults to true.
    static func creation(from body: [UInt8]) throws -> Creation {
        let object = try OrganizationClientInput.jsonObject(body)
        var issues = unknownFieldIssues(object, allowed: createFields)
        var profile = ClientProfile()
        profile.name = requiredText(object, "name", max: limits.maxNameLength, issues: &issues)
        profile.email = email(object, required: true, issues: &issues)
        profile.phone = optionalText(object, "phone", max: limits.maxPhoneLength, issues: &issues)
        profile.address = optionalText(object, "address", max: limits.maxAddressLength, issues: &issues)
        profile.source = optionalText(object, "source", max: limits.maxSourceLength, issues: &issues)
        profile.agents = agents(object, issues: &issues)
        if let active = isActive(object, issues: &issues) { profile.status = active ? .active : .inactive }
        var companyNumber: Int64 = 0
        switch object["company"] {
        case nil, .null?: issues.append(.init(field: "company", message: "is required"))
        case .int(let number)? where number > 0: companyNumber = number
        default: issues.append(.init(field: "company", message: "must be a company id (a positive integer)"))
        }
        guard issues.isEmpty else { throw ValidationFailure(issues) }
        return Creation(profile: profile, companyNumber: companyNumber)
    }

    /// An update body: absent fields stay; `null` clears `phone`, `address`, `source` or
    /// `agents`; `name`, `email` and `isActive` cannot be cleared. `agents` replaces the list.
    static func changes(from body: [UInt8]) throws -> ClientProfileChanges {
        let object = try OrganizationClientInput.jsonObject(body)
        var issues = unknownFieldIssues(object, allowed: updatableFields)
        var changes = ClientProfileChanges()
        if object["name"] != nil {
            if let name = requiredText(object, "name", max: limits.maxNameLength, issues: &issues) { changes.name = .set(name) }
        }
        if object["email"] != nil, let email = email(object, required: true, issues: &issues) { changes.email = .set(email) }
        changes.phone = clearable(object, "phone", max: limits.maxPhoneLength, issues: &issues)
        changes.address = clearable(object, "address", max: limits.maxAddressLength, issues: &issues)
        changes.source = clearable(object, "source", max: limits.maxSourceLength, issues: &issues)
        switch object["agents"] {
        case nil: break
        case .null?: changes.agents = .cleared
        default: if let agents = agents(object, issues: &issues) { changes.agents = .set(agents) }
        }
        if object["isActive"] != nil, let active = isActive(object, issues: &issues) {
            changes.status = active ? .active : .inactive
        }
        guard issues.isEmpty else { throw ValidationFailure(issues) }
        return changes
    }

    /// The new portal password of `{"password": ...}`, checked against the password rules.
    static func password(from body: [UInt8]) throws -> String {
        let object = try OrganizationClientInput.jsonObject(body)
        var issues = unknownFieldIssues(object, allowed: ["password"])
        var password = ""
        switch object["password"] {
        case nil, .null?: issues.append(.init(field: "password", message: "is required"))
        case .string(let text)?:
            do {
                try IdentityStore.checkPassword(text)
                password = text
            } catch {
                issues.append(.init(field: "password", message: "must be \(User.minPasswordLength) to \(User.maxPasswordLength) bytes"))
            }
        default: issues.append(.init(field: "password", message: "must be a string"))
        }
        guard issues.isEmpty else { throw ValidationFailure(issues) }
        return password
    }

    // MARK: Fields

    private static func unknownFieldIssues(_ object: [String: JSONValue], allowed: Set<String>) -> [ValidationFailure.Issue] {
        object.keys.filter { !allowed.contains($0) }.sorted().prefix(10).map {
            ValidationFailure.Issue(field: String($0.prefix(64)), message: "is not a writable field")
        }
    }

    private static func requiredText(_ object: [String: JSONValue], _ field: String, max: Int,
                                     issues: inout [ValidationFailure.Issue]) -> String? {
        switch object[field] {
        case nil, .null?:
            issues.append(.init(field: field, message: "is required"))
        case .string(let text)? where text.allSatisfy(\.isWhitespace):
            issues.append(.init(field: field, message: "must not be empty"))
        case .string(let text)? where text.count > max:
            issues.append(.init(field: field, message: "must be at most \(max) characters"))
        case .string(let text)?:
            return text
        default:
            issues.append(.init(field: field, message: "must be a string"))
        }
        return nil
    }

    private static func email(_ object: [String: JSONValue], required: Bool, issues: inout [ValidationFailure.Issue]) -> String? {
        guard let text = requiredText(object, "email", max: limits.maxEmailLength, issues: &issues) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard ClientFieldLimits.looksLikeEmail(trimmed) else {
            issues.append(.init(field: "email", message: "must be a valid email address"))
            return nil
        }
        return trimmed
    }

    private static func optionalText(_ object: [String: JSONValue], _ field: String, max: Int,
                                     issues: inout [ValidationFailure.Issue]) -> String? {
        switch object[field] {
        case nil, .null?: return nil
        case .string(let text)? where text.count <= max: return text
        case .string?: issues.append(.init(field: field, message: "must be at most \(max) characters"))
        default: issues.append(.init(field: field, message: "must be a string"))
        }
        return nil
    }

    private static func clearable(_ object: [String: JSONValue], _ field: String, max: Int,
                                  issues: inout [ValidationFailure.Issue]) -> FieldChange<String> {
        switch object[field] {
        case nil: return .unchanged
        case .null?: return .cleared
        default: return optionalText(object, field, max: max, issues: &issues).map { .set($0) } ?? .unchanged
        }
    }

    private static func isActive(_ object: [String: JSONValue], issues: inout [ValidationFailure.Issue]) -> Bool? {
        switch object["isActive"] {
        case nil: return nil
        case .bool(let value)?: return value
        default:
            issues.append(.init(field: "isActive", message: "must be true or false"))
            return nil
        }
    }

    /// `agents` as assignments (names possibly empty, filled later); nil when absent or bad.
    private static func agents(_ object: [String: JSONValue], issues: inout [ValidationFailure.Issue]) -> [AgentAssignment]? {
        guard let value = object["agents"], value != .null else { return nil }
        guard case .array(let items) = value else {
            issues.append(.init(field: "agents", message: "must be an array of {agentId, agentName}"))
            return nil
        }
        guard items.count <= limits.maxAgents else {
            issues.append(.init(field: "agents", message: "must list at most \(limits.maxAgents) agents"))
            return nil
        }
        var assignments: [AgentAssignment] = []
        for (index, item) in items.enumerated() {
            guard case .object(let fields) = item, case .int(let id)? = fields["agentId"], id > 0 else {
                issues.append(.init(field: "agents[\(index)].agentId", message: "must be a user id (a positive integer)"))
                continue
            }
            var name = ""
            switch fields["agentName"] {
            case nil, .null?: break
            case .string(let text)? where text.count <= limits.maxAgentNameLength: name = text
            default:
                issues.append(.init(field: "agents[\(index)].agentName",
                                    message: "must be a string of at most \(limits.maxAgentNameLength) characters"))
            }
            if let unknown = fields.keys.first(where: { $0 != "agentId" && $0 != "agentName" }) {
                issues.append(.init(field: "agents[\(index)].\(unknown.prefix(64))", message: "is not a writable field"))
            }
            if assignments.contains(where: { $0.agentId == id }) {
                issues.append(.init(field: "agents[\(index)].agentId", message: "lists agent \(id) twice"))
            }
            assignments.append(AgentAssignment(agentId: id, agentName: name))
        }
        return assignments
    }
}
