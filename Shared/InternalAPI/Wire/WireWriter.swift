import Foundation

/// Writes the internal answers' length-prefixed binary form (`CareExportPage+Wire`,
/// `CarerClient+Wire`, `CareAppointment+Wire`): fixed-width integers little-endian, ids as
/// their 16 bytes, a text as its UTF-8 length (`absent`: nil) and bytes. Nothing is escaped or
/// scanned on either side; `WireReader` reads it back.
struct WireWriter {
    /// The length that stands for an absent text.
    static let absent = UInt32.max

    private(set) var bytes: [UInt8]

    /// Starts with `magic` (the type's four bytes); `capacity` is a guess of the whole size.
    init(magic: [UInt8], capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(contentsOf: magic)
    }

    mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func i64(_ value: Int64) {
        u64(UInt64(bitPattern: value))
    }

    /// A count of what follows, refused by `WireReader.count` above its limit.
    mutating func count(_ value: Int) {
        u32(UInt32(truncatingIfNeeded: value))
    }

    /// `items`' count, then each item as `write` writes it (read back by `WireReader.list`).
    mutating func list<Item>(_ items: [Item], _ write: (inout WireWriter, Item) -> Void) {
        count(items.count)
        for item in items { write(&self, item) }
    }

    mutating func uuid(_ id: UUID) {
        withUnsafeBytes(of: id.uuid) { bytes.append(contentsOf: $0) }
    }

    /// An instant as its seconds since 1970, the `Double`'s bits (read back exactly).
    mutating func date(_ date: Date) {
        u64(date.timeIntervalSince1970.bitPattern)
    }

    /// A text given as its UTF-8 bytes (nil: absent), as `text(_:)` writes it.
    mutating func text(bytes utf8: UnsafeRawBufferPointer?) {
        guard let utf8 else { return u32(Self.absent) }
        u32(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Overwrites the four bytes at `offset` (written before as a placeholder) with `value`.
    mutating func setU32(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<offset + 4, with: $0) }
    }

    mutating func text(_ text: String?) {
        guard var contiguous = text else { return u32(Self.absent) }
        contiguous.withUTF8 { utf8 in
            u32(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }
}
