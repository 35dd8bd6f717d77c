import ClientDomain
import Foundation
import HTTP
import Identity

/// Reads the identity APIs' JSON bodies field by field, collecting every problem so a 400
/// names all bad fields at once.
///
/// Keys other than the expected ones are refused, as in the organization API. The stored
/// text fields keep the clients' text rules (`TextLimit`), checked on the text as the store
/// keeps it (trimmed of whitespace and newlines): `name` (a company's or a user's) at most
/// 200 characters and 800 bytes of UTF-8, `email` at most 254 bytes, neither with control
/// characters or Unicode noncharacters. So a name stays far under the 2,704-byte B-tree
/// entry of the unique index on `lower(name)`, and no U+0000 reaches a `text` column.
struct IdentityInput {
    private let object: [String: JSONValue]
    private(set) var issues: [ValidationFailure.Issue] = []

    /// Largest accepted body.
    static let maxBodyBytes = 64 * 1024

    /// The limits of the text fields the identity store keeps, by field name.
    static let textLimits: [String: TextLimit] = [
        "name": TextLimit(characters: max(User.maxNameLength, Company.maxNameLength)),
        "email": TextLimit(characters: User.maxEmailLength, bytes: User.maxEmailLength),
    ]

    /// The request's JSON object (415 for another content type, 413 past the limit, 400 for
    /// malformed JSON, a non-object, or keys outside `allowed`).
    static func read(_ request: HTTPRequest, allowed: Set<String>) async throws -> IdentityInput {
        let value = try await request.decodeJSON(JSONValue.self, maxBytes: maxBodyBytes)
        guard case .object(let object) = value else { throw ValidationFailure(field: "$", "must be a JSON object") }
        var input = IdentityInput(object: object)
        for key in object.keys.sorted() where !allowed.contains(key) {
            input.issues.append(.init(field: key, message: "is not a known field"))
        }
        return input
    }

    init(object: [String: JSONValue]) { self.object = object }

    /// A string field; nil (and an issue when `required`) if absent, null or not a string,
    /// and nil with an issue when it breaks the field's `textLimits` (unless `limited` is
    /// false: login reads credentials, which no limit refuses with a 400).
    mutating func string(_ field: String, required: Bool, limited: Bool = true) -> String? {
        switch object[field] {
        case .string(let value):
            if limited, let limit = Self.textLimits[field],
               let problem = limit.problem(value.trimmingCharacters(in: .whitespacesAndNewlines)) {
                issues.append(.init(field: field, message: problem))
                return nil
            }
            return value
        case nil where !required: return nil
        case nil: issues.append(.init(field: field, message: "is required"))
        default: issues.append(.init(field: field, message: "must be a string"))
        }
        return nil
    }

    /// An email field: a string as `string` reads it, in ASCII (`APIText`) once trimmed; the
    /// store checks its shape.
    mutating func email(_ field: String, required: Bool) -> String? {
        guard let value = string(field, required: required) else { return nil }
        guard APIText.isVisibleASCII(value.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            issues.append(.init(field: field, message: "must be an email address in ASCII"))
            return nil
        }
        return value
    }

    /// A company's time zone: an IANA name `CompanyTimeZone.isKnown` takes (at most 64 bytes
    /// of visible ASCII, one Foundation's `TimeZone(identifier:)` knows); nil when absent.
    mutating func timeZone(_ field: String) -> String? {
        switch object[field] {
        case .string(let value) where CompanyTimeZone.isKnown(value): return value
        case nil: return nil
        default: issues.append(.init(field: field, message: "must be an IANA time zone name (such as Australia/Sydney)"))
        }
        return nil
    }

    mutating func bool(_ field: String) -> Bool? {
        switch object[field] {
        case .bool(let value): return value
        case nil: return nil
        default: issues.append(.init(field: field, message: "must be true or false"))
        }
        return nil
    }

    /// An array of strings as a set.
    mutating func strings(_ field: String, required: Bool) -> Set<String>? {
        switch object[field] {
        case .array(let values):
            let strings = values.compactMap { value -> String? in
                if case .string(let text) = value { return text }
                return nil
            }
            guard strings.count == values.count else {
                issues.append(.init(field: field, message: "must be an array of strings"))
                return nil
            }
            return Set(strings)
        case nil where !required: return nil
        case nil: issues.append(.init(field: field, message: "is required"))
        default: issues.append(.init(field: field, message: "must be an array of strings"))
        }
        return nil
    }

    /// An array of company ids.
    mutating func uuids(_ field: String, required: Bool) -> Set<UUID>? {
        guard let strings = strings(field, required: required) else { return nil }
        let ids = strings.compactMap { $0.utf8.count == 36 ? UUID(uuidString: $0) : nil }
        guard ids.count == strings.count else {
            issues.append(.init(field: field, message: "must be an array of company ids (UUIDs)"))
            return nil
        }
        return Set(ids)
    }

    /// Throws the collected issues, if any.
    func check() throws {
        guard issues.isEmpty else { throw ValidationFailure(issues) }
    }
}
