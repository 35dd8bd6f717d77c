import ClientDomain
import Foundation
import JSON

/// Reads the leads API's create and update bodies (the change-password body:
/// `LeadsClientInput+Password.swift`).
///
/// Writable fields: `name`, `email`, `phone`, `address`, `source`, `agents`
/// (`[{agentId, agentName?}]`), `isActive`, and on create `company` (a company number).
/// Any other key is refused, so a typo never passes silently; every bad field is reported
/// at once. An agent's missing `agentName` is left empty here and filled from the user by
/// `LeadsAgents`. Text fields keep the domain's limits (`ClientFieldLimits`: characters and
/// UTF-8 bytes, no control characters but line feed and tab in `address`, no Unicode
/// noncharacters); `email` is trimmed of spaces and tabs, then held to its limits in ASCII
/// (`APIText`); everything else is stored as sent.
///
/// Pure (JSON in, domain values out; no HTTP), so the input fuzz target compiles it as is.
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
        var issues = OrganizationClientInput.unknownFieldIssues(object, allowed: createFields)
        var profile = ClientProfile()
        profile.name = requiredText(object, "name", limits.name, issues: &issues)
        profile.email = email(object, issues: &issues)
        profile.phone = OrganizationClientInput.optionalText(object, "phone", limits.phone, issues: &issues)
        profile.address = OrganizationClientInput.optionalText(object, "address", limits.address, issues: &issues)
        profile.source = OrganizationClientInput.optionalText(object, "source", limits.source, issues: &issues)
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
        var issues = OrganizationClientInput.unknownFieldIssues(object, allowed: updatableFields)
        var changes = ClientProfileChanges()
        if object["name"] != nil {
            if let name = requiredText(object, "name", limits.name, issues: &issues) { changes.name = .set(name) }
        }
        if object["email"] != nil, let email = email(object, issues: &issues) { changes.email = .set(email) }
        changes.phone = clearable(object, "phone", limits.phone, issues: &issues)
        changes.address = clearable(object, "address", limits.address, issues: &issues)
        changes.source = clearable(object, "source", limits.source, issues: &issues)
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

    // MARK: Fields

    private static func requiredText(_ object: [String: JSONValue], _ field: String, _ limit: TextLimit,
                                     issues: inout [ValidationFailure.Issue]) -> String? {
        switch object[field] {
        case nil, .null?:
            issues.append(.init(field: field, message: "is required"))
        case .string(let text)? where TextLimit.isBlank(text):
            issues.append(.init(field: field, message: "must not be empty"))
        case .string(let text)?:
            if let problem = limit.problem(text) {
                issues.append(.init(field: field, message: problem))
                return nil
            }
            return text
        default:
            issues.append(.init(field: field, message: "must be a string"))
        }
        return nil
    }

    /// `email` trimmed of spaces and tabs, then held to the email limit and shape, in ASCII.
    private static func email(_ object: [String: JSONValue], issues: inout [ValidationFailure.Issue]) -> String? {
        guard case .string(let text)? = object["email"] else {
            issues.append(.init(field: "email", message: object["email"] == nil || object["email"] == .null ? "is required"
                                                                                                          : "must be a string"))
            return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let problem = APIText.clientEmailProblem(trimmed, limit: limits.email) {
            issues.append(.init(field: "email", message: problem))
            return nil
        }
        return trimmed
    }

    private static func clearable(_ object: [String: JSONValue], _ field: String, _ limit: TextLimit,
                                  issues: inout [ValidationFailure.Issue]) -> FieldChange<String> {
        switch object[field] {
        case nil: return .unchanged
        case .null?: return .cleared
        default: return OrganizationClientInput.optionalText(object, field, limit, issues: &issues).map { .set($0) } ?? .unchanged
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
            case .string(let text)?:
                if let problem = limits.agentName.problem(text) {
                    issues.append(.init(field: "agents[\(index)].agentName", message: problem))
                } else {
                    name = text
                }
            default: issues.append(.init(field: "agents[\(index)].agentName", message: "must be a string"))
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
