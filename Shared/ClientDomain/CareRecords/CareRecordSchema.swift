import Errors
import Foundation
import JSON

/// What each care record may hold, and the checks every write of one passes (in the decider,
/// whichever route sent it; the gateway checks the same rules first to answer every problem
/// at once).
///
/// | kind | field | rule |
/// |---|---|---|
/// | goal | title | required; 1–200 characters |
/// | goal | description | 1–2,000 characters, line feeds and tabs allowed |
/// | goal | targetDate | a date, `YYYY-MM-DD` |
/// | goal | status | not_started (the default), in_progress, achieved, discontinued |
/// | goal task | title | required; 1–200 characters |
/// | goal task | done | true or false (default false) |
/// | medication | medicineName | required; 1–200 characters |
/// | medication | dose, frequency | required; 1–100 characters |
/// | medication | startDate | required; a date |
/// | medication | reviewDate | a date, on or after startDate |
/// | medication | status | active (the default) or stopped; a stop sets stopDate |
/// | appointment | healthCarerId | required; a user id |
/// | appointment | startsAt, endsAt | required; UTC instants on five-minute marks, endsAt after startsAt, at most 12 hours apart |
/// | appointment | serviceType | required; 1–100 characters |
/// | appointment | status | scheduled (the default), completed, cancelled, no_show |
///
/// Messages name fields, never values.
public enum CareRecordSchema {
    public enum Rule: Sendable {
        case text(TextLimit)
        case date
        case choice([String])
        case userId
        case bool
        case instant
    }

    public struct Field: Sendable {
        public let name: String
        public let rule: Rule
        public let required: Bool
    }

    public static let goalStatuses = ["not_started", "in_progress", "achieved", "discontinued"]
    public static let medicationStatuses = ["active", "stopped"]
    public static let appointmentStatuses = ["scheduled", "completed", "cancelled", "no_show"]
    /// An appointment's times fall on marks this many minutes apart (its carer's time is
    /// claimed in slots of this length).
    public static let slotMinutes = 5
    public static let maxAppointmentMinutes = 12 * 60

    static let titleLimit = TextLimit(characters: 200)
    public static let descriptionLimit = TextLimit(characters: 2000, multiLine: true)
    static let shortLimit = TextLimit(characters: 100)

    /// Each kind's fields, in check order.
    public static func fields(_ kind: CareRecordKind) -> [Field] {
        switch kind {
        case .goal:
            [Field(name: "title", rule: .text(titleLimit), required: true),
             Field(name: "description", rule: .text(descriptionLimit), required: false),
             Field(name: "targetDate", rule: .date, required: false),
             Field(name: "status", rule: .choice(goalStatuses), required: true)]
        case .goalTask:
            [Field(name: "title", rule: .text(titleLimit), required: true), Field(name: "done", rule: .bool, required: true)]
        case .medication:
            [Field(name: "medicineName", rule: .text(titleLimit), required: true),
             Field(name: "dose", rule: .text(shortLimit), required: true),
             Field(name: "frequency", rule: .text(shortLimit), required: true),
             Field(name: "startDate", rule: .date, required: true),
             Field(name: "reviewDate", rule: .date, required: false),
             Field(name: "status", rule: .choice(medicationStatuses), required: true),
             Field(name: "stopDate", rule: .date, required: false)]
        case .appointment:
            [Field(name: "healthCarerId", rule: .userId, required: true),
             Field(name: "startsAt", rule: .instant, required: true),
             Field(name: "endsAt", rule: .instant, required: true),
             Field(name: "serviceType", rule: .text(shortLimit), required: true),
             Field(name: "status", rule: .choice(appointmentStatuses), required: true)]
        }
    }

    /// The values a new record of `kind` takes for the fields it was not given.
    public static func defaults(_ kind: CareRecordKind) -> [String: JSONValue] {
        switch kind {
        case .goal: ["status": "not_started"]
        case .goalTask: ["done": false]
        case .medication: ["status": "active"]
        case .appointment: ["status": "scheduled"]
        }
    }

    /// The problems of `fields` as changes of a record of `kind` (each given field's own
    /// rule; a required one may not be cleared; unknown fields refused).
    public static func issues(ofChanges fields: [String: JSONValue], _ kind: CareRecordKind) -> [CareIssue] {
        let known = Self.fields(kind)
        var found: [CareIssue] = fields.keys.sorted().filter { name in !known.contains { $0.name == name } }
            .map { CareIssue($0, "is not a known field") }
        for field in known {
            guard let value = fields[field.name] else { continue }
            if value == .null {
                if field.required { found.append(CareIssue(field.name, "is required")) }
                continue
            }
            if let message = problem(value, field.rule) { found.append(CareIssue(field.name, message)) }
        }
        return found
    }

    /// The problems of a whole record of `kind`: its fields, the required ones present, and
    /// the rules between fields.
    public static func issues(of record: CareRecord, _ kind: CareRecordKind) -> [CareIssue] {
        var found = issues(ofChanges: record.fields, kind)
        for field in Self.fields(kind) where field.required && record.fields[field.name] == nil {
            found.append(CareIssue(field.name, "is required"))
        }
        guard found.isEmpty else { return found }
        switch kind {
        case .medication:
            if let start = record.text("startDate"), let review = record.text("reviewDate"), review < start {
                found.append(CareIssue("reviewDate", "must be on or after startDate"))
            }
        case .appointment:
            if let start = record.text("startsAt").flatMap(instant), let end = record.text("endsAt").flatMap(instant) {
                let minutes = Int((end.timeIntervalSince1970 - start.timeIntervalSince1970) / 60)
                if minutes <= 0 {
                    found.append(CareIssue("endTime", "must be after startTime"))
                } else if minutes > maxAppointmentMinutes {
                    found.append(CareIssue("endTime", "must be at most \(maxAppointmentMinutes / 60) hours after startTime"))
                }
            }
        case .goal, .goalTask:
            break
        }
        return found
    }

    /// Throws `invalidArgument` naming the first problem of `record` (the decider's check).
    public static func validate(_ record: CareRecord, _ kind: CareRecordKind) throws {
        if let issue = issues(of: record, kind).first {
            throw ClienteleError(.invalidArgument, "\(issue.path) \(issue.message)", context: ["field": issue.path])
        }
    }

    static func problem(_ value: JSONValue, _ rule: Rule) -> String? {
        switch rule {
        case .text(let limit): CareSchema.problem(value, .text(limit))
        case .date: CareSchema.problem(value, .date)
        case .choice(let names): CareSchema.problem(value, .choice(names))
        case .userId: CareSchema.problem(value, .userId)
        case .bool:
            if case .bool = value { nil } else { "must be true or false" }
        case .instant:
            if case .string(let text) = value, instant(text) != nil { nil } else { "must be a time on a five-minute mark" }
        }
    }

    /// The instant `text` names when it is written as `Timestamp.format` writes one and falls
    /// on a `slotMinutes` mark; nil otherwise.
    public static func instant(_ text: String) -> Date? {
        guard let date = Timestamp.parse(text), Timestamp.format(date) == text else { return nil }
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        guard Double(seconds) == date.timeIntervalSince1970, seconds % Int64(slotMinutes * 60) == 0 else { return nil }
        return date
    }

    /// The carer's slots an appointment holds: every `slotMinutes` slot from its start to its
    /// end, as `<carer id>@<slot number since 1970>`; none once cancelled (a cancelled
    /// appointment frees its carer's time). Overlapping appointments of one carer share a slot.
    public static func carerSlots(of appointment: CareRecord) -> [String] {
        guard appointment.text("status") != "cancelled", let carer = appointment.text("healthCarerId"),
              let start = appointment.text("startsAt").flatMap(instant), let end = appointment.text("endsAt").flatMap(instant) else { return [] }
        let slot = Int64(slotMinutes * 60)
        let first = Int64(start.timeIntervalSince1970) / slot
        let last = Int64(end.timeIntervalSince1970) / slot
        guard first < last, last - first <= Int64(maxAppointmentMinutes / slotMinutes) else { return [] }
        return (first..<last).map { carer + "@" + String($0) }
    }
}
