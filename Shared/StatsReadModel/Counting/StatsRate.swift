/// The stats' derived figures (percentages, averages) with one decimal, rounded half up.
///
/// Computed from the integer counters with integer arithmetic, so a value exactly halfway
/// (12.25) always rounds up (12.3), as PostgreSQL's `round(numeric, 1)` does, whatever binary
/// floating point would make of it.
public enum StatsRate {
    /// `part` as a percentage of `whole`, one decimal; 0 when `whole` is 0 or less.
    public static func percent(_ part: Int64, of whole: Int64) -> Double {
        let (scaled, overflow) = part.multipliedReportingOverflow(by: 100)
        return overflow ? rounded(Double(part) * 100 / Double(whole), whole: whole) : ratio(scaled, per: whole)
    }

    /// `numerator / denominator`, one decimal; 0 when `denominator` is 0 or less.
    public static func ratio(_ numerator: Int64, per denominator: Int64) -> Double {
        guard denominator > 0 else { return 0 }
        if numerator < 0 { return -ratio(-numerator, per: denominator) }
        // floor(10 n / d + 1/2) = floor((20 n + d) / 2 d)
        let (twenty, overflow) = numerator.multipliedReportingOverflow(by: 20)
        guard !overflow, twenty <= Int64.max - denominator, denominator <= Int64.max / 2 else {
            return rounded(Double(numerator) / Double(denominator), whole: denominator)
        }
        return Double((twenty + denominator) / (2 * denominator)) / 10
    }

    /// The floating-point fallback for counts too large for the integer path.
    private static func rounded(_ value: Double, whole: Int64) -> Double {
        guard whole > 0 else { return 0 }
        return (value * 10).rounded(.toNearestOrAwayFromZero) / 10
    }
}
