import Foundation

/// The export page's wire format (`application/octet-stream`), its only codec: length-prefixed
/// fields (`WireWriter`), so no text is escaped or scanned on either side.
///
///     page  := "CEP1" count:u32 row*count
///     row   := id:16 tenantId:16 number:i64 (0: none) text*9
///     text  := length:u32 (0xFFFFFFFF: absent) utf8[length]
///
/// Integers little-endian; ids as their 16 bytes; the texts in order: name, displayName,
/// firstName, lastName, email, ndisNumber, status, planManager, supportCoordinator.
extension CareExportPage {
    static let magic: [UInt8] = Array("CEP1".utf8)

    public var wireBytes: [UInt8] {
        var out = WireWriter(magic: Self.magic, capacity: 8 + rows.count * 180)
        out.list(rows) { out, row in
            out.uuid(row.id)
            out.uuid(row.tenantId)
            out.i64(row.number ?? 0)
            for text in [row.name, row.displayName, row.firstName, row.lastName, row.email, row.ndisNumber, row.status,
                         row.planManager, row.supportCoordinator] {
                out.text(text)
            }
        }
        return out.bytes
    }

    /// The page `bytes` hold; nil when they are not one (wrong magic, cut short, trailing
    /// bytes, more than `maxRows` rows, a row without a status).
    public init?(wireBytes bytes: [UInt8]) {
        guard let rows = WireReader.read(bytes, magic: Self.magic, Self.rows) else { return nil }
        self.init(rows: rows)
    }

    /// The page `buffer` holds, as `init(wireBytes:)` (a frame of the export's stream, read
    /// in place).
    init?(wireBuffer buffer: UnsafeRawBufferPointer) {
        guard let rows = WireReader.read(buffer, magic: Self.magic, Self.rows) else { return nil }
        self.init(rows: rows)
    }

    private static func rows(_ reader: inout WireReader) -> [Row]? {
        reader.list(limit: maxRows) { reader in
            guard let id = reader.uuid(), let tenantId = reader.uuid(), let number = reader.i64() else { return nil }
            var texts: [String?] = []
            texts.reserveCapacity(9)
            for _ in 0..<9 {
                guard let text = reader.text() else { return nil }
                texts.append(text)
            }
            guard let status = texts[6] else { return nil }
            return Row(id: id, tenantId: tenantId, number: number == 0 ? nil : number, name: texts[0],
                       displayName: texts[1], firstName: texts[2], lastName: texts[3], email: texts[4],
                       ndisNumber: texts[5], status: status, planManager: texts[7], supportCoordinator: texts[8])
        }
    }
}
