/// Writes JSON text straight into bytes, member by member, for answers of a fixed shape.
///
/// A `JSONValue` object is a dictionary: building one hashes every key, and serialising it
/// sorts them. The writer appends keys and values in the order they are written, so a
/// writer that must give the same text as `JSONValue.serialized()` writes its keys in
/// ascending order. It does not check the shape: inside an `object`, each `key` must be
/// followed by exactly one value (`member` writes both), and values inside an `array` take
/// no key.
public struct JSONWriter {
    /// The text written so far.
    public private(set) var bytes: [UInt8]
    /// Whether the next key or value follows a sibling and needs a comma.
    private var followsSibling = false

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The text of one object whose members `members` writes.
    public static func object(capacity: Int = 256, _ members: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter(capacity: capacity)
        writer.object(members)
        return writer.bytes
    }

    /// Writes an object; `members` writes its members (`key` then a value, for each).
    public mutating func object(_ members: (inout JSONWriter) -> Void) {
        open(123)
        members(&self)
        close(125)
    }

    /// Writes an array; `elements` writes its values.
    public mutating func array(_ elements: (inout JSONWriter) -> Void) {
        open(91)
        elements(&self)
        close(93)
    }

    /// Writes a member's key; the next value written is its value.
    public mutating func key(_ key: String) {
        separate()
        JSONValue.writeString(key, to: &bytes)
        bytes.append(58)
        followsSibling = false
    }

    /// Writes a member: `key`, then `value`.
    public mutating func member(_ key: String, _ value: String) {
        self.key(key)
        self.value(value)
    }

    /// Writes a member whose value is `null` when nil.
    public mutating func member(_ key: String, _ value: String?) {
        self.key(key)
        self.value(value)
    }

    public mutating func member(_ key: String, _ value: Int64) {
        self.key(key)
        self.value(value)
    }

    public mutating func member(_ key: String, _ value: Bool) {
        self.key(key)
        self.value(value)
    }

    public mutating func member(_ key: String, _ value: JSONValue) {
        self.key(key)
        self.value(value)
    }

    public mutating func value(_ string: String) {
        separate()
        JSONValue.writeString(string, to: &bytes)
        followsSibling = true
    }

    /// Writes `string`, or `null` when nil.
    public mutating func value(_ string: String?) {
        if let string { value(string) } else { value(JSONValue.null) }
    }

    public mutating func value(_ number: Int64) {
        separate()
        bytes.append(contentsOf: String(number).utf8)
        followsSibling = true
    }

    public mutating func value(_ flag: Bool) {
        separate()
        bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        followsSibling = true
    }

    /// Writes a dynamic value as `serialized()` does (its object keys sorted).
    public mutating func value(_ json: JSONValue) {
        separate()
        json.write(to: &bytes)
        followsSibling = true
    }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        followsSibling = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        followsSibling = true
    }

    private mutating func separate() {
        if followsSibling { bytes.append(44) }
    }
}
