import Foundation

/// The export page's wire format (`application/octet-stream`), its only codec: length-prefixed
/// fields, so no text is escaped or scanned on either side.
///
///     page  := "CEP1" count:u32 row*count
///     row   := id:16 tenantId:16 number:i64 (0: none) text*9
///     text  := length:u32 (0xFFFFFFFF: absent) utf8[length]
///
/// Integers little-endian; ids as their 16 bytes; the texts in order: name, displayName,
/// firstName, lastName, email, ndisNumber, status, planManager, supportCoordinator.
extension CareExportPage {
    static let magic: [UInt8] = Array("CEP1".utf8)
    static let absent = UInt32.max

    public var wireBytes: [UInt8] {
        var out = Self.magic
        out.reserveCapacity(8 + rows.count * 180)
        Self.append(UInt32(rows.count), to: &out)
        for row in rows {
            Self.append(row.id, to: &out)
            Self.append(row.tenantId, to: &out)
            Self.append(UInt64(bitPattern: row.number ?? 0), to: &out)
            for text in [row.name, row.displayName, row.firstName, row.lastName, row.email, row.ndisNumber, row.status,
                         row.planManager, row.supportCoordinator] {
                guard let text else {
                    Self.append(Self.absent, to: &out)
                    continue
                }
                Self.append(UInt32(text.utf8.count), to: &out)
                out.append(contentsOf: text.utf8)
            }
        }
        return out
    }

    /// The page `bytes` hold; nil when they are not one (wrong magic, cut short, trailing
    /// bytes, more than `maxRows` rows, a row without a status).
    public init?(wireBytes bytes: [UInt8]) {
        guard let rows = bytes.withUnsafeBytes({ Self.rows(in: $0) }) else { return nil }
        self.init(rows: rows)
    }

    /// The page `buffer` holds, as `init(wireBytes:)`.
    init?(wireBuffer buffer: UnsafeRawBufferPointer) {
        guard let rows = Self.rows(in: buffer) else { return nil }
        self.init(rows: rows)
    }

    private static func rows(in buffer: UnsafeRawBufferPointer) -> [Row]? {
        var reader = Reader(buffer: buffer)
        guard reader.take(4).map(Array.init) == magic, let count = reader.u32(), count <= maxRows else { return nil }
        var rows: [Row] = []
        rows.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let id = reader.uuid(), let tenantId = reader.uuid(), let number = reader.u64() else { return nil }
            var texts: [String?] = []
            texts.reserveCapacity(9)
            for _ in 0..<9 {
                guard let length = reader.u32() else { return nil }
                if length == absent {
                    texts.append(nil)
                } else {
                    guard let bytes = reader.take(Int(length)) else { return nil }
                    texts.append(String(decoding: bytes, as: UTF8.self))
                }
            }
            guard let status = texts[6] else { return nil }
            let signed = Int64(bitPattern: number)
            rows.append(Row(id: id, tenantId: tenantId, number: signed == 0 ? nil : signed, name: texts[0],
                            displayName: texts[1], firstName: texts[2], lastName: texts[3], email: texts[4],
                            ndisNumber: texts[5], status: status, planManager: texts[7], supportCoordinator: texts[8]))
        }
        return reader.atEnd ? rows : nil
    }

    private static func append(_ value: UInt32, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func append(_ value: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func append(_ id: UUID, to out: inout [UInt8]) {
        withUnsafeBytes(of: id.uuid) { out.append(contentsOf: $0) }
    }

    /// Reads a buffer front to back; every read is nil past its end.
    private struct Reader {
        let buffer: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { offset == buffer.count }

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

        mutating func uuid() -> UUID? {
            take(16).map { bytes in UUID(uuid: bytes.loadUnaligned(as: uuid_t.self)) }
        }
    }
}
