import Foundation

/// The UTC calendar periods a stats answer reports on: the day, the week (Monday to Sunday)
/// and the month containing `asOf`.
///
/// Each period is the whole calendar period, so with an `asOf` in the past "this month"
/// still ends at the month's last day.
public struct StatsPeriods: Sendable, Equatable {
    public var today: StatsDay
    public var week: Range<StatsDay>
    public var month: Range<StatsDay>

    public init(asOf: Date) {
        let day = StatsDay(asOf)
        today = day
        week = day.weekStart..<day.weekStart.adding(days: 7)
        month = day.monthStart..<day.nextMonthStart
    }

    /// The earliest day any figure reads (the per-day tables are read from here on).
    public var earliest: StatsDay { Swift.min(week.lowerBound, month.lowerBound) }
}
