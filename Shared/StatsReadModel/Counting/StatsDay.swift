import Foundation

/// A UTC calendar day, as the stats projection counts creations and last activity per day.
///
/// Kept as the number of days since 1970-01-01 (negative before it), so periods are integer
/// arithmetic; converted to and from the proleptic Gregorian calendar without Foundation's
/// `Calendar` (it runs per event, and must not depend on the process's time zone).
public struct StatsDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var daysSinceEpoch: Int

    public init(daysSinceEpoch: Int) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// The UTC day containing `date`.
    public init(_ date: Date) {
        daysSinceEpoch = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// The day of a civil date; nil when the month or day is out of range (February 30th).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year) else { return nil }
        // Howard Hinnant's days_from_civil: years start in March, so the leap day is last.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        daysSinceEpoch = era * 146_097 + dayOfEra - 719_468
    }

    /// Parses `YYYY-MM-DD` (as PostgreSQL prints a `date`); nil for anything else.
    public init?(text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The civil date: year, month (1–12), day (1–31).
    public var civil: (year: Int, month: Int, day: Int) {
        // Howard Hinnant's civil_from_days.
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `YYYY-MM-DD`, as PostgreSQL reads a `date`.
    public var text: String {
        let (year, month, day) = civil
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    public var description: String { text }

    /// The Monday of this day's week (weeks run Monday to Sunday).
    public var weekStart: StatsDay {
        // 1970-01-01 was a Thursday: three days after a Monday.
        let sinceMonday = ((daysSinceEpoch + 3) % 7 + 7) % 7
        return StatsDay(daysSinceEpoch: daysSinceEpoch - sinceMonday)
    }

    /// The first day of this day's month.
    public var monthStart: StatsDay {
        StatsDay(daysSinceEpoch: daysSinceEpoch - civil.day + 1)
    }

    /// The first day of the month after this day's.
    public var nextMonthStart: StatsDay {
        let (year, month, day) = civil
        return StatsDay(daysSinceEpoch: daysSinceEpoch - day + 1 + Self.daysIn(month: month, year: year))
    }

    /// The day `days` later (earlier when negative).
    public func adding(days: Int) -> StatsDay {
        StatsDay(daysSinceEpoch: daysSinceEpoch + days)
    }

    public static func < (lhs: StatsDay, rhs: StatsDay) -> Bool {
        lhs.daysSinceEpoch < rhs.daysSinceEpoch
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
