import Identity
import JSON

/// The leads API's change-password body, apart from the rest of the parser: it checks the
/// password against Identity's rules, and the input fuzz target compiles the parser without
/// Identity.
extension LeadsClientInput {
    /// The new portal password of `{"password": ...}`, checked against the password rules.
    static func password(from body: [UInt8]) throws -> String {
        let object = try OrganizationClientInput.jsonObject(body)
        var issues = OrganizationClientInput.unknownFieldIssues(object, allowed: ["password"])
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
}
