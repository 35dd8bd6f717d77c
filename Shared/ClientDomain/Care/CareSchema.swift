import Foundation
import JSON

/// What a client's care sections may hold, and the checks every write of them passes (the
/// care API's adapter first, to answer every problem at once; the decider again, through
/// `ClientFieldLimits.validate`, refusing the first).
///
/// | field | rule |
/// |---|---|
/// | personalInfo.firstName, lastName | required; 1–100 characters |
/// | personalInfo.email | a valid email (the client's `email`) |
/// | personalInfo.phone, emergencyContacts[].phone | Australian: `+61` and 9 digits, or `0` and 9 digits (`CarePatch.normalized` stores `+61…`) |
/// | personalInfo.dateOfBirth, ndisDetails.planStartDate, planEndDate | a date, `YYYY-MM-DD` (not in the future: the adapter, which has a clock) |
/// | personalInfo.gender | female, male, non-binary, other, prefer-not-to-say |
/// | address.street | 1–200 characters; suburb 1–100 |
/// | address.state | NSW, VIC, QLD, WA, SA, TAS, ACT, NT |
/// | address.postcode | four digits |
/// | ndisDetails.ndisNumber | required; nine digits starting with 43 |
/// | ndisDetails.planStartDate ≤ planEndDate | |
/// | ndisDetails.planManager, supportCoordinator | a user id (UUID; the adapter checks the user and role) |
/// | medicalInfo.allergies, conditions, medications | at most 50 texts of 1–200 characters |
/// | medicalInfo.medicalHistory | 1–5,000 characters, line feeds and tabs allowed |
/// | emergencyContacts | at most 10, each `{name (1–200), relationship (1–100), phone}`, all required |
///
/// An unknown section or field is an issue. "Required" holds from a client's first care
/// write on: a client that has no care sections (made through another API) gets them with
/// its first care write, which must name the required fields.
public enum CareSchema {
    public static let personalInfo = "personalInfo"
    public static let address = "address"
    public static let ndisDetails = "ndisDetails"
    public static let medicalInfo = "medicalInfo"
    public static let emergencyContacts = "emergencyContacts"

    /// The object sections, in the order they are checked and shown.
    public static let objectSections = [personalInfo, address, ndisDetails, medicalInfo]
    /// Every section name.
    public static let sectionNames = objectSections + [emergencyContacts]

    public static let genders = ["female", "male", "non-binary", "other", "prefer-not-to-say"]
    public static let states = ["NSW", "VIC", "QLD", "WA", "SA", "TAS", "ACT", "NT"]
    public static let maxEmergencyContacts = 10
    public static let maxListItems = 50
    /// The NDIS participant number's pattern (also the OpenAPI document's).
    public static let ndisNumberPattern = "^43[0-9]{7}$"
    /// An Australian phone as the API accepts it.
    public static let phonePattern = "^(\\+61[0-9]{9}|0[0-9]{9})$"

    /// How one field is checked (public: the OpenAPI document states the same rules).
    public enum Rule: Sendable {
        case text(TextLimit)
        case email
        case phone
        case date
        case choice([String])
        case postcode
        case ndisNumber
        case userId
        case textList(TextLimit)
    }

    static let nameLimit = TextLimit(characters: 100)
    static let itemLimit = TextLimit(characters: 200)
    /// `medicalInfo.medicalHistory`: free text, line feeds and tabs allowed.
    static let historyLimit = TextLimit(characters: 5000, multiLine: true)

    /// The fields of each object section, in check order.
    public static let fields: [String: [(name: String, rule: Rule)]] = [
        personalInfo: [("firstName", .text(nameLimit)), ("lastName", .text(nameLimit)), ("email", .email), ("phone", .phone),
                       ("dateOfBirth", .date), ("gender", .choice(genders))],
        address: [("street", .text(TextLimit(characters: 200))), ("suburb", .text(nameLimit)), ("state", .choice(states)),
                  ("postcode", .postcode)],
        ndisDetails: [("ndisNumber", .ndisNumber), ("planStartDate", .date), ("planEndDate", .date), ("planManager", .userId),
                      ("supportCoordinator", .userId)],
        medicalInfo: [("allergies", .textList(itemLimit)), ("conditions", .textList(itemLimit)),
                      ("medications", .textList(itemLimit)), ("medicalHistory", .text(historyLimit))],
    ]
    public static let contactFields: [(name: String, rule: Rule)] = [("name", .text(itemLimit)), ("relationship", .text(nameLimit)),
                                                             ("phone", .phone)]
    /// Fields that, once a client has care sections, it always has.
    public static let required: [(section: String, field: String)] = [(personalInfo, "firstName"), (personalInfo, "lastName"),
                                                               (ndisDetails, "ndisNumber")]

    /// The problems of stored sections (which never hold `personalInfo.email` or `phone`).
    public static func issues(of profile: CareProfile) -> [CareIssue] {
        issues(sections: profile.sections, contactFields: false)
    }

    /// The problems of `patch` given the sections it changes (`current`, nil for none): its
    /// shape, and the sections merged from it.
    public static func issues(of patch: CarePatch, against current: CareProfile?) -> [CareIssue] {
        let merged = CarePatch.merge(.object(current?.sections ?? [:]), patch: .object(patch.sections))
        guard case .object(let sections) = merged else { return [CareIssue("", "must be an object")] }
        var found = issues(sections: sections, contactFields: true)
        // A section or field the patch clears that must stay.
        for (section, field) in required where current?.sections[section]?[field] != nil || current == nil {
            let path = section + "." + field
            if sections[section]?[field] == nil, !found.contains(where: { $0.path == path || $0.path == section }) {
                found.append(CareIssue(path, "is required"))
            }
        }
        return found
    }

    static func issues(sections: [String: JSONValue], contactFields: Bool) -> [CareIssue] {
        var found: [CareIssue] = []
        for key in sections.keys.sorted() where !sectionNames.contains(key) {
            found.append(CareIssue(key, "is not a known field"))
        }
        for section in objectSections {
            guard let value = sections[section] else { continue }
            guard case .object(let object) = value else {
                found.append(CareIssue(section, "must be an object"))
                continue
            }
            let rules = fields[section] ?? []
            for key in object.keys.sorted() where !rules.contains(where: { $0.name == key })
                || (!contactFields && section == personalInfo && (key == "email" || key == "phone")) {
                found.append(CareIssue(section + "." + key, "is not a known field"))
            }
            for (name, rule) in rules {
                guard let field = object[name] else { continue }
                if let message = problem(field, rule) { found.append(CareIssue(section + "." + name, message)) }
            }
        }
        if case .string(let start)? = sections[ndisDetails]?["planStartDate"], case .string(let end)? = sections[ndisDetails]?["planEndDate"],
           isDate(start), isDate(end), start > end {
            found.append(CareIssue(ndisDetails + ".planEndDate", "must be on or after planStartDate"))
        }
        if let contacts = sections[emergencyContacts] {
            found += contactIssues(contacts)
        }
        return found
    }

    static func contactIssues(_ value: JSONValue) -> [CareIssue] {
        guard case .array(let contacts) = value else { return [CareIssue(emergencyContacts, "must be an array")] }
        guard contacts.count <= maxEmergencyContacts else {
            return [CareIssue(emergencyContacts, "must list at most \(maxEmergencyContacts) contacts")]
        }
        var found: [CareIssue] = []
        for (index, contact) in contacts.enumerated() {
            let prefix = "\(emergencyContacts)[\(index)]"
            guard case .object(let object) = contact else {
                found.append(CareIssue(prefix, "must be an object"))
                continue
            }
            for key in object.keys.sorted() where !contactFields.contains(where: { $0.name == key }) {
                found.append(CareIssue(prefix + "." + key, "is not a known field"))
            }
            for (name, rule) in contactFields {
                guard let field = object[name], field != .null else {
                    found.append(CareIssue(prefix + "." + name, "is required"))
                    continue
                }
                if let message = problem(field, rule) { found.append(CareIssue(prefix + "." + name, message)) }
            }
        }
        return found
    }

    /// What is wrong with `value` under `rule`, or nil.
    static func problem(_ value: JSONValue, _ rule: Rule) -> String? {
        if case .textList(let limit) = rule {
            guard case .array(let items) = value else { return "must be an array of strings" }
            guard items.count <= maxListItems else { return "must list at most \(maxListItems) items" }
            for item in items {
                guard case .string(let text) = item else { return "must be an array of strings" }
                if TextLimit.isBlank(text) { return "must not hold empty items" }
                if let problem = limit.problem(text) { return "items " + problem }
            }
            return nil
        }
        guard case .string(let text) = value else { return "must be a string" }
        switch rule {
        case .text(let limit):
            if TextLimit.isBlank(text) { return "must not be empty" }
            return limit.problem(text)
        case .email:
            let limit = ClientFieldLimits().email
            return limit.problem(text) == nil && ClientFieldLimits.looksLikeEmail(text) ? nil : "Invalid email format"
        case .phone:
            return e164(text) == nil ? "Invalid phone format: +61 and 9 digits, or 0 and 9 digits" : nil
        case .date:
            return isDate(text) ? nil : "must be a date (YYYY-MM-DD)"
        case .choice(let names):
            return names.contains(text) ? nil : "must be one of " + names.joined(separator: ", ")
        case .postcode:
            return text.utf8.count == 4 && text.utf8.allSatisfy(isDigit) ? nil : "must be four digits"
        case .ndisNumber:
            return isNDISNumber(text) ? nil : "must be nine digits starting with 43"
        case .userId:
            return UUID(canonical: text) == nil ? "must be a user id" : nil
        case .textList:
            return nil
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// Nine digits starting with 43.
    public static func isNDISNumber(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 9 && bytes.allSatisfy(isDigit) && bytes[0] == 0x34 && bytes[1] == 0x33
    }

    /// An Australian phone (`+61` and 9 digits, or `0` and 9 digits) as E.164 (`+61…`); nil
    /// for anything else.
    public static func e164(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        if bytes.count == 12, text.hasPrefix("+61"), bytes[3...].allSatisfy(isDigit) { return text }
        if bytes.count == 10, bytes[0] == 0x30, bytes.allSatisfy(isDigit) { return "+61" + text.dropFirst() }
        return nil
    }

    /// A calendar date written `YYYY-MM-DD`.
    public static func isDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D else { return false }
        let digits = [0, 1, 2, 3, 5, 6, 8, 9]
        guard digits.allSatisfy({ isDigit(bytes[$0]) }) else { return false }
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(bytes[$1] - 0x30) } }
        let (year, month, day) = (number(0..<4), number(5..<7), number(8..<10))
        guard year >= 1, (1...12).contains(month), day >= 1 else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }
}
