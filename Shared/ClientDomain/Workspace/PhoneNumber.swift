/// International phone numbers in E.164 form (`+` and 7 to 15 digits, the first not 0),
/// from the forms people write them in.
///
/// Accepted: the number with its country code, written with a leading `+` or the
/// international call prefix `00`, with any of the separators space, `-`, `.`, `(` and `)`
/// anywhere. Once the separators are removed, what is left must be `+` or `00` followed by 7
/// to 15 ASCII digits, the first of them not 0; `00` becomes `+`. So `+1 (234) 567-890`,
/// `+44 20 7946 0958`, `0044 20 7946 0958` and `+1234567890` are accepted, and
/// `(234) 567-890` (no country code), `+0 123 4567`, `+1 234 ext. 5` and `１２３` (full-width
/// digits) are not. Country codes are not checked against ITU's list.
public enum PhoneNumber {
    public static let digitCounts = 7...15
    /// The separators the accepted forms may contain.
    public static let separators: Set<UInt8> = [0x20, 0x2D, 0x2E, 0x28, 0x29]
    /// The longest accepted input, in characters (the profile's phone limit).
    public static let maxInputLength = 50

    /// `text` in E.164 form, or nil when it is not one of the accepted forms.
    public static func e164(_ text: String) -> String? {
        guard text.utf8.count <= maxInputLength else { return nil }
        var kept: [UInt8] = []
        kept.reserveCapacity(text.utf8.count)
        for byte in text.utf8 where !separators.contains(byte) { kept.append(byte) }
        let digits: ArraySlice<UInt8>
        if kept.first == UInt8(ascii: "+") {
            digits = kept.dropFirst()
        } else if kept.count >= 2, kept[0] == UInt8(ascii: "0"), kept[1] == UInt8(ascii: "0") {
            digits = kept.dropFirst(2)
        } else {
            return nil
        }
        guard digitCounts.contains(digits.count), let first = digits.first, first != UInt8(ascii: "0"),
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return "+" + String(decoding: digits, as: UTF8.self)
    }

    /// A search text that reads as part of a phone number written with separators (ASCII
    /// digits, at least one, with `+` and the separators), without its separators and with a
    /// leading `00` as `+`: what it looks for among stored E.164 numbers (`44 20` and
    /// `0044 20` find `+442079460958`). Nil for any other text, or one with nothing to change.
    public static func searchFragment(_ text: String) -> String? {
        guard text.utf8.count <= maxInputLength,
              text.utf8.contains(where: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              text.utf8.contains(where: { separators.contains($0) }) || (text.hasPrefix("00") && text.utf8.count > 2),
              text.utf8.allSatisfy({ separators.contains($0) || $0 == UInt8(ascii: "+") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) })
        else { return nil }
        let kept = String(decoding: text.utf8.filter { !separators.contains($0) }, as: UTF8.self)
        let fragment = kept.hasPrefix("00") ? "+" + kept.dropFirst(2) : kept
        // `00 ` would look for a bare `+`, which every phone holds.
        return fragment.utf8.contains(where: { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) ? fragment : nil
    }

    /// Whether `text` is already in E.164 form.
    public static func isE164(_ text: String) -> Bool {
        e164(text) == text
    }
}
