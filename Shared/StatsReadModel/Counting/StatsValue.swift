/// Which free-text profile values the stats count, and under which name.
///
/// Values are grouped exactly as written (case and inner spacing kept): "Acme" and "ACME"
/// are two companies. A value that is absent, empty or only whitespace is not counted.
public enum StatsValue {
    /// The country a location names: its last comma-separated part, trimmed of whitespace
    /// ("Sydney, NSW, Australia" → "Australia"); nil when that part is blank, so a location
    /// ending in a comma names no country.
    public static func country(fromLocation location: String?) -> String? {
        guard let location else { return nil }
        let last = location.split(separator: ",", omittingEmptySubsequences: false).last ?? Substring(location)
        guard let first = last.firstIndex(where: { !$0.isWhitespace }),
              let end = last.lastIndex(where: { !$0.isWhitespace }) else { return nil }
        return String(last[first...end])
    }

    /// `text` as written when it is counted (present and not blank), else nil.
    public static func counted(_ text: String?) -> String? {
        guard let text, !text.allSatisfy(\.isWhitespace) else { return nil }
        return text
    }
}
