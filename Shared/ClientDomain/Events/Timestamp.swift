import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// RFC 3339 timestamps in UTC with milliseconds (`2025-01-02T10:15:36.000Z`), as events and
/// the APIs show them.
///
/// Formatting and parsing are done by hand on `gmtime_r`/`timegm`: they run per event and
/// per row, and Foundation's formatters are costly to create and not `Sendable`.
public enum Timestamp {
    /// `date` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    ///
    /// Milliseconds are truncated after rounding to the microsecond, so a date made from a
    /// whole number of milliseconds (`374 / 1000` is just under `0.374` as a double) keeps
    /// it. The digits go straight into the string's 24 bytes: every record answered formats
    /// two or three timestamps, and joining padded pieces made fourteen strings for each.
    public static func format(_ date: Date) -> String {
        let totalMilliseconds = ((date.timeIntervalSince1970 * 1_000_000).rounded() / 1000).rounded(.down)
        var seconds = time_t((totalMilliseconds / 1000).rounded(.down))
        let milliseconds = Int(totalMilliseconds - Double(seconds) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        guard (0...9999).contains(year) else {
            return pad(year, 4) + "-" + pad(Int(parts.tm_mon) + 1, 2) + "-" + pad(Int(parts.tm_mday), 2)
                + "T" + pad(Int(parts.tm_hour), 2) + ":" + pad(Int(parts.tm_min), 2) + ":" + pad(Int(parts.tm_sec), 2)
                + "." + pad(milliseconds, 3) + "Z"
        }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            func digits(_ value: Int, _ width: Int, at offset: Int) {
                var rest = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            digits(year, 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            digits(Int(parts.tm_mon) + 1, 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            digits(Int(parts.tm_mday), 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            digits(Int(parts.tm_hour), 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            digits(Int(parts.tm_min), 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            digits(Int(parts.tm_sec), 2, at: 17)
            buffer[19] = UInt8(ascii: ".")
            digits(milliseconds, 3, at: 20)
            buffer[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// The longest text `parse` reads.
    public static let maxParsedLength = 40

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, or a plain `YYYY-MM-DD` (midnight UTC),
    /// of at most `maxParsedLength` characters. Nil for anything else, including impossible
    /// dates such as February 30th.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 10, bytes.count <= maxParsedLength else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), bytes[4] == UInt8(ascii: "-"), let month = number(5..<7), bytes[7] == UInt8(ascii: "-"),
              let day = number(8..<10), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0
        var fraction = 0.0
        var offsetSeconds = 0
        if bytes.count > 10 {
            guard bytes.count >= 20, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
                  let h = number(11..<13), bytes[13] == UInt8(ascii: ":"), let m = number(14..<16), bytes[16] == UInt8(ascii: ":"),
                  let s = number(17..<19), h < 24, m < 60, s < 61 else { return nil }
            hour = h; minute = m; second = s
            var index = 19
            if bytes[index] == UInt8(ascii: ".") {
                index += 1
                var scale = 0.1
                let start = index
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                    fraction += Double(bytes[index] - 0x30) * scale
                    scale /= 10
                    index += 1
                }
                guard index > start, index < bytes.count else { return nil }
            }
            switch bytes[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                guard index + 1 == bytes.count else { return nil }
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard index + 6 == bytes.count, let oh = number(index + 1..<index + 3), bytes[index + 3] == UInt8(ascii: ":"),
                      let om = number(index + 4..<index + 6), oh < 24, om < 60 else { return nil }
                offsetSeconds = (oh * 3600 + om * 60) * (bytes[index] == UInt8(ascii: "+") ? 1 : -1)
            default:
                return nil
            }
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(min(second, 59))
        let epoch = timegm(&parts)
        // timegm normalises out-of-range days (Feb 30 → Mar 2); refuse those.
        guard parts.tm_mday == Int32(day), parts.tm_mon == Int32(month - 1) else { return nil }
        return Date(timeIntervalSince1970: Double(Int(epoch) - offsetSeconds) + fraction)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
