import JSON

/// A custom field's value as a client holds it, typed as it was checked when written.
///
/// Text, dates and select options are text; numbers are integers (any JSON number that is
/// integral and smaller than 10^15 in magnitude, so a value reads back as the case it was
/// written as) or decimals; a multiselect holds its options in the order given.
public enum CustomFieldValue: Sendable, Equatable, Hashable {
    case text(String)
    case integer(Int64)
    case decimal(Double)
    case boolean(Bool)
    case options([String])

    /// A number as the value's case for it: integral ones below 10^15 in magnitude are
    /// integers (as `JSONValue` writes them), other finite ones decimals; nil when not finite.
    public static func number(_ value: Double) -> CustomFieldValue? {
        guard value.isFinite else { return nil }
        if value == value.rounded(), abs(value) < 1e15 { return .integer(Int64(value)) }
        return .decimal(value)
    }

    /// The value as text: what a key without a definition answers (`CustomFieldType.fits`):
    /// text as is, numbers as their JSON text, booleans `true`/`false`, options joined by ", ".
    public var text: String {
        switch self {
        case .text(let text): text
        case .integer(let number): String(number)
        case .decimal(let number): String(decoding: JSONValue.number(number).serialized(), as: UTF8.self)
        case .boolean(let flag): flag ? "true" : "false"
        case .options(let options): options.joined(separator: ", ")
        }
    }

    /// The UTF-8 bytes of the text the value holds (its strings; a number or boolean counts
    /// as its text), for `WorkspaceFieldLimits.maxCustomFieldBytes`.
    var storedBytes: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .options(let options): options.reduce(0) { $0 + $1.utf8.count }
        default: text.utf8.count
        }
    }
}
