import Foundation

/// `Date` travels as timestamptz text in UTC with microseconds: `2024-05-06 07:08:09.123456+00`.
///
/// Every connection sets `TimeZone = 'UTC'` and `DateStyle = 'ISO, MDY'`, so the server prints
/// timestamps in the one form the decoder reads; offsets other than +00 are still honoured.
/// timestamp (without time zone) columns are read as UTC; date columns as midnight UTC;
/// `infinity` and `-infinity` as `Date.distantFuture` and `Date.distantPast`.
/// PostgreSQL keeps microseconds, so a Date comes back rounded to the microsecond.
extension Date: PostgresEncodable, PostgresDecodable {
    public static var postgresNullType: PostgresDataType { .timestamptz }

    public var postgresValue: PostgresValue {
        if self == .distantFuture { return PostgresValue(type: .timestamptz, text: "infinity") }
        if self == .distantPast { return PostgresValue(type: .timestamptz, text: "-infinity") }
        let micros = Int64((timeIntervalSince1970 * 1_000_000).rounded())
        let (days, microsOfDay) = PostgresTimestamp.floorDivide(micros, 86_400_000_000)
        let (year, month, day) = PostgresTimestamp.civil(fromDays: days)
        let seconds = microsOfDay / 1_000_000
        let fraction = microsOfDay % 1_000_000
        let yearText = year > 0 ? PostgresTimestamp.pad(year, 4) : PostgresTimestamp.pad(1 - year, 4)
        let text = "\(yearText)-\(PostgresTimestamp.pad(month, 2))-\(PostgresTimestamp.pad(day, 2)) "
            + "\(PostgresTimestamp.pad(seconds / 3600, 2)):\(PostgresTimestamp.pad(seconds / 60 % 60, 2)):"
            + "\(PostgresTimestamp.pad(seconds % 60, 2)).\(PostgresTimestamp.pad(fraction, 6))+00"
            + (year > 0 ? "" : " BC")
        return PostgresValue(type: .timestamptz, text: text)
    }

    public init?(postgresText text: String, type: PostgresDataType) {
        guard type == .timestamptz || type == .timestamp || type == .date || type.isText,
              let date = PostgresTimestamp.parse(text) else { return nil }
        self = date
    }
}

/// Parsing and printing of PostgreSQL's ISO timestamp text, without locale or time-zone state.
enum PostgresTimestamp {
    static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        var quotient = value / divisor
        var remainder = value % divisor
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Parses `YYYY-MM-DD[( |T)HH:MM:SS[.ffffff]][Z|±HH[:MM[:SS]]][ BC]`, `infinity`, `-infinity`.
    static func parse(_ text: String) -> Date? {
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        var bytes = Array(text.utf8)
        var isBC = false
        if bytes.count > 3, bytes.suffix(3) == Array(" BC".utf8) {
            isBC = true
            bytes.removeLast(3)
        }
        var index = 0
        func number(maxDigits: Int = 18) -> (value: Int64, digits: Int)? {
            var value: Int64 = 0
            var digits = 0
            while index < bytes.count, digits < maxDigits, bytes[index] >= 48, bytes[index] <= 57 {
                value = value * 10 + Int64(bytes[index] - 48)
                index += 1
                digits += 1
            }
            return digits == 0 ? nil : (value, digits)
        }
        func expect(_ character: Character) -> Bool {
            guard index < bytes.count, bytes[index] == character.asciiValue! else { return false }
            index += 1
            return true
        }
        guard var year = number()?.value, expect("-"), let month = number(maxDigits: 2)?.value, expect("-"),
              let day = number(maxDigits: 2)?.value, (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        if isBC { year = 1 - year }
        var seconds: Int64 = 0
        var micros: Int64 = 0
        if index < bytes.count, bytes[index] == 32 || bytes[index] == UInt8(ascii: "T") {
            index += 1
            guard let hour = number(maxDigits: 2)?.value, expect(":"), let minute = number(maxDigits: 2)?.value,
                  expect(":"), let second = number(maxDigits: 2)?.value,
                  hour <= 24, minute < 60, second <= 60 else { return nil }
            seconds = hour * 3600 + minute * 60 + second
            if expect(".") {
                guard let (fraction, digits) = number(maxDigits: 9) else { return nil }
                var scaled = fraction
                if digits < 6 {
                    for _ in digits..<6 { scaled *= 10 }
                } else if digits > 6 {
                    for _ in 6..<digits { scaled /= 10 }
                }
                micros = scaled
            }
            if index < bytes.count {
                if expect("Z") {
                    // UTC
                } else {
                    let sign: Int64
                    if expect("+") { sign = 1 } else if expect("-") { sign = -1 } else { return nil }
                    guard let offsetHours = number(maxDigits: 2)?.value else { return nil }
                    var offset = offsetHours * 3600
                    if expect(":") {
                        guard let offsetMinutes = number(maxDigits: 2)?.value else { return nil }
                        offset += offsetMinutes * 60
                        if expect(":") {
                            guard let offsetSeconds = number(maxDigits: 2)?.value else { return nil }
                            offset += offsetSeconds
                        }
                    }
                    seconds -= sign * offset
                }
            }
        }
        guard index == bytes.count else { return nil }
        let totalSeconds = days(year: year, month: month, day: day) * 86_400 + seconds
        return Date(timeIntervalSince1970: Double(totalSeconds) + Double(micros) / 1_000_000)
    }
}
