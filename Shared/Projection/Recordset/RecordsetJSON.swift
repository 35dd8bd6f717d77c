import Foundation

/// Writes rows as the JSON array `jsonb_to_recordset` reads, straight into UTF-8 bytes.
///
/// The read models' upserts send a batch's changed rows as one JSON parameter. Building
/// `[String: Any]` dictionaries for `JSONSerialization` took most of the search projection's
/// CPU during a rebuild (boxing, dynamic casts and bridging per field), and `JSONEncoder` a
/// noticeable share of the stats projection's (measured: docs/performance.md, design
/// measurements); this writes the same JSON directly. Strings are escaped as JSON requires
/// (quote, backslash and control characters); a field written as nil is `null`. Keys are
/// written as given, unescaped, so they must be plain column names.
public struct RecordsetJSON {
    public private(set) var bytes: [UInt8] = [UInt8(ascii: "[")]
    private var rows = 0
    private var fields = 0

    public init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// `rows` as one finished array, each row's fields written by `fields`.
    public static func array<Row>(_ rows: some Collection<Row>, bytesPerRow: Int = 160,
                                  _ fields: (inout RecordsetJSON, Row) -> Void) -> String {
        var json = RecordsetJSON(capacity: rows.count * bytesPerRow + 2)
        for row in rows {
            json.beginRow()
            fields(&json, row)
            json.endRow()
        }
        return json.finish()
    }

    /// Starts the next row (an object).
    public mutating func beginRow() {
        if rows > 0 { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "{"))
        rows += 1
        fields = 0
    }

    /// Ends the current row.
    public mutating func endRow() {
        bytes.append(UInt8(ascii: "}"))
    }

    /// The finished array, as the text parameter the statement takes.
    public mutating func finish() -> String {
        bytes.append(UInt8(ascii: "]"))
        return String(decoding: bytes, as: UTF8.self)
    }

    public mutating func field(_ key: StaticString, _ value: String?) {
        self.key(key)
        guard let value else { return null() }
        string(value)
    }

    public mutating func field(_ key: StaticString, _ value: Int64?) {
        self.key(key)
        guard let value else { return null() }
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func field(_ key: StaticString, _ value: Bool?) {
        self.key(key)
        guard let value else { return null() }
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A field whose value is JSON text written elsewhere (`JSONValue.serialized()`), as is
    /// (nil: `null`).
    public mutating func field(_ key: StaticString, json: [UInt8]?) {
        self.key(key)
        guard let json else { return null() }
        bytes.append(contentsOf: json)
    }

    /// A field whose value is an array of objects, each written by `element` (nil: `null`).
    public mutating func field<Element>(_ key: StaticString, array: [Element]?, _ element: (inout RecordsetJSON, Element) -> Void) {
        self.key(key)
        guard let array else { return null() }
        bytes.append(UInt8(ascii: "["))
        for (index, value) in array.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(UInt8(ascii: "{"))
            fields = 0
            element(&self, value)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func key(_ key: StaticString) {
        if fields > 0 { bytes.append(UInt8(ascii: ",")) }
        fields += 1
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: "\":".utf8)
    }

    private mutating func null() {
        bytes.append(contentsOf: "null".utf8)
    }

    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: "\\r".utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
