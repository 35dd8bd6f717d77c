import Errors
import JSON

extension CareSchema {
    /// The required fields `care` lacks: all of them when the client had no care sections
    /// (`previous` nil), else those `previous` had.
    public static func missingRequired(in care: CareProfile, previous: CareProfile?) -> [CareIssue] {
        required.compactMap { section, field in
            let had = previous == nil || previous?.sections[section]?[field] != nil
            return had && care.sections[section]?[field] == nil ? CareIssue(section + "." + field, "is required") : nil
        }
    }

    /// Throws `invalidArgument` naming the first problem of `profile`'s care sections (the
    /// decider's check, whichever API sent the write); `previous` is the profile before an update.
    public static func validate(_ profile: ClientProfile, previous: ClientProfile?) throws {
        guard let care = profile.care, care != previous?.care else { return }
        if let issue = (issues(of: care) + missingRequired(in: care, previous: previous?.care)).first {
            throw ClienteleError(.invalidArgument, "\(issue.path) \(issue.message)", context: ["field": issue.path])
        }
    }
}

extension CarePatch {
    /// This patch with every Australian phone in it written as E.164 (`0412345678` becomes
    /// `+61412345678`); other values as they are (the checks then refuse them).
    public func normalized() -> CarePatch {
        var sections = self.sections
        if case .object(var personal)? = sections[CareSchema.personalInfo], case .string(let phone)? = personal["phone"],
           let e164 = CareSchema.e164(phone) {
            personal["phone"] = .string(e164)
            sections[CareSchema.personalInfo] = .object(personal)
        }
        if case .array(let contacts)? = sections[CareSchema.emergencyContacts] {
            sections[CareSchema.emergencyContacts] = .array(contacts.map { contact in
                guard case .object(var object) = contact, case .string(let phone)? = object["phone"],
                      let e164 = CareSchema.e164(phone) else { return contact }
                object["phone"] = .string(e164)
                return .object(object)
            })
        }
        return CarePatch(sections: sections)
    }
}
