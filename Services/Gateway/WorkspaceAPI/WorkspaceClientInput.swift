import ClientDomain
import Foundation
import JSON

/// Reads the workspace API's create and update bodies into domain profiles and changes.
///
/// Create: `name` (required, not blank, at most 200 characters), `avatarUrl` (optional, an
/// absolute http or https URL in ASCII of at most 2,048 bytes; never fetched), `contactMethods`
/// (required, 1 to 20 of `{type, value, isPreferred}`, all three required, exactly one
/// preferred, no (type, value) twice once normalised), `customFields` (optional, an array of
/// `{fieldKey, value}`, no key twice). Update: any subset of the same; `name` cannot be
/// cleared, `avatarUrl: null` removes the avatar, `contactMethods` replaces the whole list,
/// `customFields` merges by key and a `null` value removes its key. Unknown keys, at any
/// level, are refused.
///
/// Values are normalised: emails lower-cased, phone and WhatsApp numbers in E.164
/// (`PhoneNumber`); fax and other values are kept as sent. A custom field's value is checked
/// against its definition (`CustomFieldDefinition.check`); a key without one takes text.
///
/// Pure (JSON in, domain values out; no HTTP).
enum WorkspaceClientInput {
    static let bodyFields: Set<String> = ["name", "avatarUrl", "contactMethods", "customFields"]
    static let contactFields: Set<String> = ["type", "value", "isPreferred"]
    static let customFieldFields: Set<String> = ["fieldKey", "value"]
    static let limits = WorkspaceFieldLimits()
    static let nameLimit = ClientFieldLimits().name
    static let maxAvatarBytes = 2_048
    static let contactTypes = ContactType.allCases.map(\.rawValue).joined(separator: ", ")

    /// The profile a create body asks for, with `definitions`' required fields given.
    static func profile(from body: [UInt8], definitions: CustomFieldCatalog.Definitions) throws -> ClientProfile {
        var failure = WorkspaceInputFailure()
        let object = try jsonObject(body)
        unknownKeys(object, allowed: bodyFields, at: "", into: &failure)
        var profile = ClientProfile()
        switch object["name"] {
        case nil, .null?: failure.malformed("name", "is required")
        case let value?: profile.name = name(value, into: &failure)
        }
        if let value = object["avatarUrl"], value != .null { profile.avatar = avatarURL(value, into: &failure) }
        var fields = WorkspaceFields()
        switch object["contactMethods"] {
        case nil, .null?: failure.malformed("contactMethods", "is required")
        case let value?: fields.contactMethods = contactMethods(value, into: &failure)
        }
        if let value = object["customFields"], value != .null {
            for (key, stored) in customFields(value, definitions: definitions, removable: false, into: &failure) {
                fields.customFields[key] = stored
            }
        }
        // A required field the body names is checked where it is named (its value, or its
        // emptiness); only one the body leaves out is missing.
        let named = Set(object["customFields"].map(fieldKeys(of:)) ?? [])
        for definition in definitions.values.sorted(by: { $0.fieldKey < $1.fieldKey })
        where definition.required && !named.contains(definition.fieldKey) {
            failure.broken("customFields", "must give the required field \(definition.fieldKey)")
        }
        try failure.check()
        profile.workspace = fields
        return profile
    }

    /// The changes an update body asks for.
    static func changes(from body: [UInt8], definitions: CustomFieldCatalog.Definitions) throws -> ClientProfileChanges {
        var failure = WorkspaceInputFailure()
        let object = try jsonObject(body)
        unknownKeys(object, allowed: bodyFields, at: "", into: &failure)
        var changes = ClientProfileChanges()
        switch object["name"] {
        case nil: break
        case .null?: failure.broken("name", "cannot be cleared")
        case let value?: if let name = name(value, into: &failure) { changes.name = .set(name) }
        }
        switch object["avatarUrl"] {
        case nil: break
        case .null?: changes.avatar = .cleared
        case let value?: if let url = avatarURL(value, into: &failure) { changes.avatar = .set(url) }
        }
        var workspace = WorkspaceFieldChanges()
        switch object["contactMethods"] {
        case nil: break
        case .null?: failure.malformed("contactMethods", "must be an array (it cannot be cleared)")
        case let value?: workspace.contactMethods = contactMethods(value, into: &failure)
        }
        if let value = object["customFields"] {
            if value == .null {
                failure.malformed("customFields", "must be an array")
            } else {
                workspace.customFields = customFields(value, definitions: definitions, removable: true, into: &failure)
            }
        }
        try failure.check()
        if !workspace.isEmpty { changes.workspace = workspace }
        return changes
    }

    // MARK: Fields

    /// The body as a JSON object; a 400 naming `body` otherwise.
    static func jsonObject(_ body: [UInt8]) throws -> [String: JSONValue] {
        var failure = WorkspaceInputFailure()
        guard let value = try? JSONParser.parse(body) else {
            failure.malformed("body", "must be valid JSON")
            throw failure
        }
        guard case .object(let object) = value else {
            failure.malformed("body", "must be a JSON object")
            throw failure
        }
        return object
    }

    /// A 400 for each key of `object` not in `allowed` (the first 10, names cut to 64 characters).
    static func unknownKeys(_ object: [String: JSONValue], allowed: Set<String>, at path: String,
                            into failure: inout WorkspaceInputFailure) {
        for key in object.keys.filter({ !allowed.contains($0) }).sorted().prefix(10) {
            failure.malformed(path + String(key.prefix(64)), "is not a known field")
        }
    }

    static func name(_ value: JSONValue, into failure: inout WorkspaceInputFailure) -> String? {
        guard case .string(let name) = value else {
            failure.malformed("name", "must be a string")
            return nil
        }
        if TextLimit.isBlank(name) {
            failure.broken("name", "must not be empty")
        } else if let problem = nameLimit.problem(name) {
            failure.broken("name", problem)
        } else {
            return name
        }
        return nil
    }

    /// An absolute http(s) URL in visible ASCII of at most `maxAvatarBytes` (`AdminClientInput.isWebURL`).
    static func avatarURL(_ value: JSONValue, into failure: inout WorkspaceInputFailure) -> String? {
        guard case .string(let url) = value else {
            failure.malformed("avatarUrl", "must be a string or null")
            return nil
        }
        guard url.utf8.count <= maxAvatarBytes, APIText.isVisibleASCII(url), AdminClientInput.isWebURL(url) else {
            failure.broken("avatarUrl", "must be an absolute http or https URL in ASCII of at most \(maxAvatarBytes) bytes")
            return nil
        }
        return url
    }

    /// The contact methods of `value`, normalised; nil when any is malformed or breaks a rule.
    static func contactMethods(_ value: JSONValue, into failure: inout WorkspaceInputFailure) -> [ContactMethod]? {
        guard case .array(let items) = value else {
            failure.malformed("contactMethods", "must be an array")
            return nil
        }
        var methods: [ContactMethod] = []
        var complete = true
        for (index, item) in items.enumerated() {
            let path = "contactMethods[\(index)]"
            guard case .object(let object) = item else {
                failure.malformed(path, "must be an object")
                complete = false
                continue
            }
            unknownKeys(object, allowed: contactFields, at: path + ".", into: &failure)
            var type: ContactType?
            switch object["type"] {
            case nil, .null?: failure.malformed(path + ".type", "is required")
            case .string(let name)?:
                type = ContactType(rawValue: name)
                if type == nil { failure.broken(path + ".type", "must be one of \(contactTypes)") }
            default: failure.malformed(path + ".type", "must be a string")
            }
            var text: String?
            switch object["value"] {
            case nil, .null?: failure.malformed(path + ".value", "is required")
            case .string(let given)?: text = given
            default: failure.malformed(path + ".value", "must be a string")
            }
            var preferred: Bool?
            switch object["isPreferred"] {
            case nil, .null?: failure.malformed(path + ".isPreferred", "is required")
            case .bool(let flag)?: preferred = flag
            default: failure.malformed(path + ".isPreferred", "must be a boolean")
            }
            guard let type, let text, let preferred else {
                complete = false
                continue
            }
            guard let normalised = contactValue(text, type: type, field: path + ".value", into: &failure) else {
                complete = false
                continue
            }
            methods.append(ContactMethod(type: type, value: normalised, isPreferred: preferred))
        }
        if items.isEmpty || items.count > limits.maxContactMethods {
            failure.broken("contactMethods", "must list 1 to \(limits.maxContactMethods) contact methods")
            return nil
        }
        guard complete else { return nil }
        let problems = limits.contactMethodProblems(methods)
        for problem in problems { failure.broken(problem.field, problem.message) }
        return problems.isEmpty ? methods : nil
    }

    /// `text` normalised for `type`: emails lower-cased (ASCII only), phone and WhatsApp
    /// numbers in E.164; nil with an issue when it does not fit.
    static func contactValue(_ text: String, type: ContactType, field: String, into failure: inout WorkspaceInputFailure) -> String? {
        if TextLimit.isBlank(text) {
            failure.broken(field, "must not be empty")
            return nil
        }
        switch type {
        case .email:
            if let problem = APIText.clientEmailProblem(text, limit: limits.email) {
                failure.broken(field, problem)
                return nil
            }
            return String(decoding: text.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
        case .phone, .whatsapp:
            guard let number = PhoneNumber.e164(text) else {
                failure.broken(field, "must be a phone number with its country code: + (or 00) and 7 to 15 digits, "
                               + "spaces, dots, hyphens and parentheses allowed between them")
                return nil
            }
            return number
        case .fax, .other:
            if let problem = limits.contactValueProblem(text, type: type) {
                failure.broken(field, problem)
                return nil
            }
            return text
        }
    }

    /// The `fieldKey` strings `value` (a `customFields` array) names, whatever else it holds.
    static func fieldKeys(of value: JSONValue) -> [String] {
        guard case .array(let items) = value else { return [] }
        return items.compactMap { if case .string(let key)? = $0["fieldKey"] { key } else { nil } }
    }

    /// The custom fields of `value` by key, checked against `definitions` (`removable`: a
    /// `null` value removes its key, as nil).
    static func customFields(_ value: JSONValue, definitions: CustomFieldCatalog.Definitions, removable: Bool,
                             into failure: inout WorkspaceInputFailure) -> [String: CustomFieldValue?] {
        guard case .array(let items) = value else {
            failure.malformed("customFields", "must be an array")
            return [:]
        }
        var fields: [String: CustomFieldValue?] = [:]
        var keys: [String] = []
        for (index, item) in items.enumerated() {
            let path = "customFields[\(index)]"
            guard case .object(let object) = item else {
                failure.malformed(path, "must be an object")
                continue
            }
            unknownKeys(object, allowed: customFieldFields, at: path + ".", into: &failure)
            guard case .string(let key)? = object["fieldKey"] else {
                failure.malformed(path + ".fieldKey", object["fieldKey"].map { $0 == .null } ?? true ? "is required" : "must be a string")
                continue
            }
            guard let given = object["value"] else {
                failure.malformed(path + ".value", "is required")
                continue
            }
            guard WorkspaceFieldLimits.isFieldKey(key) else {
                failure.broken(path + ".fieldKey", WorkspaceFieldLimits.fieldKeyRule)
                continue
            }
            if keys.contains(key) {
                failure.broken(path + ".fieldKey", "repeats an earlier fieldKey")
                continue
            }
            keys.append(key)
            let definition = definitions[key]
            switch given {
            case .null:
                if !removable {
                    failure.malformed(path + ".value", "must be a string, number, boolean or array")
                } else if definition?.required == true {
                    failure.broken(path + ".value", "cannot be removed: the field is required")
                } else {
                    fields[key] = .some(nil)
                }
            case .object:
                failure.malformed(path + ".value", "must be a string, number, boolean or array")
            default:
                let checked = definition.map { $0.check(given, limits: limits) } ?? CustomFieldDefinition.checkUndefined(given, limits: limits)
                switch checked {
                case .success(let stored):
                    if definition?.required == true, !CustomFieldDefinition.isGiven(stored) {
                        failure.broken(path + ".value", "must not be empty: the field is required")
                    } else {
                        fields[key] = stored
                    }
                case .failure(let problem):
                    failure.broken(path + ".value", problem.message)
                }
            }
        }
        let set = fields.compactMapValues { $0 }
        if keys.count > limits.maxCustomFields {
            failure.broken("customFields", "must hold at most \(limits.maxCustomFields) fields")
        } else if let problem = limits.customFieldProblems(set).first(where: { $0.field == "customFields" }) {
            failure.broken(problem.field, problem.message)
        }
        return fields
    }
}
