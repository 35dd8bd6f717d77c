import ClientDomain
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An appointment's local date and times in its company's time zone, and the UTC instants
/// they name (Foundation's `Calendar`; the zone is the company's `time_zone` setting).
///
/// Times are `HH:MM` on five-minute marks (`CareRecordSchema.slotMinutes`). An appointment
/// starts on its local date; an `endTime` earlier than its `startTime` ends on the next local
/// day (an overnight shift), and it lasts at most `CareRecordSchema.maxAppointmentMinutes` of
/// real time (daylight saving counted). A local time that does not exist (skipped by a
/// daylight-saving change) is refused; one that happens twice (the hour repeated) is its first.
enum CareAppointmentTime {
    /// `HH:MM`, 00:00–23:55, minutes a multiple of five.
    static func isTime(_ text: String) -> Bool {
        minutes(text) != nil
    }

    static func minutes(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count == 5, bytes[2] == UInt8(ascii: ":"), [0, 1, 3, 4].allSatisfy({ (0x30...0x39).contains(bytes[$0]) }) else {
            return nil
        }
        let hour = Int(bytes[0] - 0x30) * 10 + Int(bytes[1] - 0x30)
        let minute = Int(bytes[3] - 0x30) * 10 + Int(bytes[4] - 0x30)
        guard hour < 24, minute < 60, minute % CareRecordSchema.slotMinutes == 0 else { return nil }
        return hour * 60 + minute
    }

    static func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    /// The instant of `date` (`YYYY-MM-DD`) at `time` (`HH:MM`) in `zone`; nil when either is
    /// malformed or the local time does not exist there.
    static func instant(date: String, time: String, in zone: TimeZone) -> Date? {
        guard CareSchema.isDate(date), let minutes = minutes(time) else { return nil }
        let parts = date.split(separator: "-").compactMap { Int($0) }
        let components = DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: minutes / 60, minute: minutes % 60)
        let calendar = calendar(zone)
        guard let instant = calendar.date(from: components) else { return nil }
        let back = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: instant)
        guard back.year == parts[0], back.month == parts[1], back.day == parts[2], back.hour == minutes / 60,
              back.minute == minutes % 60 else { return nil }
        return instant
    }

    /// The instants an appointment on local `date` from `startTime` to `endTime` names in
    /// `zone`: the start on `date`, the end on `date` when `endTime` is after `startTime` and on
    /// the next day when it is before (equal times are refused). Nil, with the issues (each
    /// naming `startTime` or `endTime`) added to `issues`, when a time does not exist on its
    /// date there or the span is longer than `CareRecordSchema.maxAppointmentMinutes`.
    static func span(date: String, startTime: String, endTime: String, in zone: TimeZone,
                     issues: inout [CareIssue]) -> (startsAt: Date, endsAt: Date)? {
        guard let start = minutes(startTime), let end = minutes(endTime) else {
            for (name, time) in [("startTime", startTime), ("endTime", endTime)] where minutes(time) == nil {
                issues.append(CareIssue(name, "must be a time (HH:MM) on a five-minute mark"))
            }
            return nil
        }
        guard start != end else {
            issues.append(CareIssue("endTime", "must not equal startTime (an earlier endTime ends on the next day)"))
            return nil
        }
        let endDate = end > start ? date : nextDate(after: date)
        let startsAt = instant(date: date, time: startTime, in: zone)
        let endsAt = endDate.flatMap { instant(date: $0, time: endTime, in: zone) }
        if startsAt == nil { issues.append(CareIssue("startTime", "must be a time that exists on that date in the company's time zone")) }
        if endsAt == nil { issues.append(CareIssue("endTime", "must be a time that exists on its date in the company's time zone")) }
        guard let startsAt, let endsAt else { return nil }
        let minutes = Int(endsAt.timeIntervalSince(startsAt) / 60)
        guard minutes > 0 else {
            issues.append(CareIssue("endTime", "must be after startTime"))
            return nil
        }
        guard minutes <= CareRecordSchema.maxAppointmentMinutes else {
            issues.append(CareIssue("endTime", "must be at most \(CareRecordSchema.maxAppointmentMinutes / 60) hours after startTime"))
            return nil
        }
        return (startsAt, endsAt)
    }

    /// The date after `date` (`YYYY-MM-DD`), in the proleptic Gregorian calendar.
    static func nextDate(after date: String) -> String? {
        guard CareSchema.isDate(date) else { return nil }
        let parts = date.split(separator: "-").compactMap { Int($0) }
        let calendar = calendar(TimeZone(identifier: "UTC")!)
        guard let day = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
              let next = calendar.date(byAdding: .day, value: 1, to: day) else { return nil }
        return format(Int64(next.timeIntervalSince1970.rounded(.down))).date
    }

    /// The start of `date` in `zone` (its first instant).
    static func startOfDay(_ date: String, in zone: TimeZone) -> Date? {
        guard CareSchema.isDate(date) else { return nil }
        let parts = date.split(separator: "-").compactMap { Int($0) }
        let calendar = calendar(zone)
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])).map { calendar.startOfDay(for: $0) }
    }

    /// The start of the day after `date` in `zone`.
    static func endOfDay(_ date: String, in zone: TimeZone) -> Date? {
        guard let start = startOfDay(date, in: zone) else { return nil }
        return calendar(zone).date(byAdding: .day, value: 1, to: start)
    }

    /// `instant`'s local date (`YYYY-MM-DD`) and time (`HH:MM`) in `zone`.
    static func local(_ instant: Date, in zone: TimeZone) -> (date: String, time: String) {
        var offsets = Offsets(zone: zone)
        return offsets.local(instant)
    }

    /// A zone's offsets from UTC, remembered by quarter hour of UTC while one list is rendered
    /// (every zone's offsets, and so its changes, fall on quarter hours; a month's
    /// appointments fall in a few hundred of them).
    struct Offsets {
        let zone: TimeZone
        private var byQuarter: [Int64: Int] = [:]

        init(zone: TimeZone) { self.zone = zone }

        /// `instant`'s local date and time: its offset (`secondsFromGMT(for:)`), then `gmtime_r`
        /// of the shifted seconds (a `Calendar`'s date components cost far more, two per
        /// appointment of a list).
        mutating func local(_ instant: Date) -> (date: String, time: String) {
            let utc = Int64(instant.timeIntervalSince1970.rounded(.down))
            let key = utc >= 0 ? utc / 900 : (utc - 899) / 900
            let offset: Int
            if let known = byQuarter[key] {
                offset = known
            } else {
                offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(key * 900)))
                byQuarter[key] = offset
            }
            return CareAppointmentTime.format(utc + Int64(offset))
        }
    }

    /// Local seconds since 1970 as `YYYY-MM-DD` and `HH:MM`.
    static func format(_ localSeconds: Int64) -> (date: String, time: String) {
        var seconds = time_t(localSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.utf8.count)) + text
        }
        return (pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-" + pad(parts.tm_mday, 2),
                pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2))
    }
}
