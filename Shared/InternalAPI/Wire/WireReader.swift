import Foundation

/// Reads what `WireWriter` wrote, front to back: every read is nil past the end (or on a
/// value that cannot be), so a cut or damaged answer is no answer.
struct WireReader {
    let buffer: UnsafeRawBufferPointer
    private var offset = 0

    /// Reads `bytes` if they start with `magic`; nil when they do not. `read` answers nil for a
    /// malformed value; so does the whole read when bytes are left over after it.
    static func read<T>(_ bytes: [UInt8], magic: [UInt8], _ read: (inout WireReader) -> T?) -> T? {
        bytes.withUnsafeBytes { buffer in Self.read(buffer, magic: magic, read) }
    }

    /// `read(_:magic:_:)` over bytes in place.
    static func read<T>(_ buffer: UnsafeRawBufferPointer, magic: [UInt8], _ read: (inout WireReader) -> T?) -> T? {
        var reader = WireReader(buffer: buffer)
        guard reader.take(magic.count).map(Array.init) == magic, let value = read(&reader), reader.atEnd else { return nil }
        return value
    }

    init(buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    var atEnd: Bool { offset == buffer.count }

    /// The bytes not read yet.
    var remaining: Int { buffer.count - offset }

    mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, buffer.count - offset >= count else { return nil }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count])
    }

    mutating func u32() -> UInt32? {
        take(4).map { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
    }

    mutating func u64() -> UInt64? {
        take(8).map { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    mutating func i64() -> Int64? {
        u64().map { Int64(bitPattern: $0) }
    }

    /// A count written by `WireWriter.count`; nil above `limit`, or when the bytes left cannot
    /// hold that many items of at least `itemBytes` each.
    mutating func count(limit: Int, itemBytes: Int = 1) -> Int? {
        guard let count = u32(), count <= limit else { return nil }
        guard Int(count) <= remaining / max(1, itemBytes) else { return nil }
        return Int(count)
    }

    /// A count (as `count(limit:itemBytes:)`) and that many items, each read by `item`; nil
    /// when the count or any item is.
    mutating func list<Item>(limit: Int, itemBytes: Int = 1, _ item: (inout WireReader) -> Item?) -> [Item]? {
        guard let count = count(limit: limit, itemBytes: itemBytes) else { return nil }
        var items: [Item] = []
        items.reserveCapacity(count)
        for _ in 0..<count {
            guard let next = item(&self) else { return nil }
            items.append(next)
        }
        return items
    }

    mutating func uuid() -> UUID? {
        take(16).map { UUID(uuid: $0.loadUnaligned(as: uuid_t.self)) }
    }

    mutating func date() -> Date? {
        u64().map { Date(timeIntervalSince1970: Double(bitPattern: $0)) }
    }

    /// A text: `.some(nil)` when written absent, nil when cut short.
    mutating func text() -> String?? {
        guard let length = u32() else { return nil }
        if length == WireWriter.absent { return .some(nil) }
        guard let bytes = take(Int(length)) else { return nil }
        return .some(String(decoding: bytes, as: UTF8.self))
    }

    /// A text that must be present.
    mutating func requiredText() -> String? {
        text() ?? nil
    }
}
