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

    /// The texts of a row, in their order on the wire: name, displayName, firstName, lastName,
    /// email, ndisNumber, status (never absent), planManager, supportCoordinator.
    public static let textCount = 9

    public var wireBytes: [UInt8] { Array(frameBytes.dropFirst(4)) }

    /// Writes a page a row at a time as one frame of the export's stream
    /// (`CareExportPage+Stream`: the page's length, then the page). The one writer of the
    /// page's form: `frameBytes` and `wireBytes` write through it, and so does the search
    /// projection's export, straight from the read model's cells (`appendRow(id:tenantId:number:texts:)`:
    /// a `Row` of `String`s per client was most of the projection's time per exported row).
    public struct FrameWriter {
        private var out: WireWriter
        public private(set) var rowCount = 0
        /// Where the page's row count is (after the frame's length and the magic).
        private static let countOffset = 8

        /// `capacity`: a guess of the frame's size.
        public init(capacity: Int = 4096) {
            out = WireWriter(magic: [0, 0, 0, 0] + CareExportPage.magic, capacity: capacity)
            out.count(0)
        }

        public mutating func append(_ row: Row) {
            out.uuid(row.id)
            out.uuid(row.tenantId)
            out.i64(row.number ?? 0)
            for text in [row.name, row.displayName, row.firstName, row.lastName, row.email, row.ndisNumber, row.status,
                         row.planManager, row.supportCoordinator] {
                out.text(text)
            }
            rowCount += 1
        }

        /// A row from its texts' UTF-8 bytes: `texts(i)` is the `i`th of `textCount` in their
        /// wire order (nil: absent; the status, index 6, must be given).
        public mutating func appendRow(id: UUID, tenantId: UUID, number: Int64?, texts: (Int) -> UnsafeRawBufferPointer?) {
            out.uuid(id)
            out.uuid(tenantId)
            out.i64(number ?? 0)
            for index in 0..<CareExportPage.textCount { out.text(bytes: texts(index)) }
            rowCount += 1
        }

        /// The frame: the page's length, then the page.
        public consuming func frame() -> [UInt8] {
            out.setU32(UInt32(out.bytes.count - 4), at: 0)
            out.setU32(UInt32(rowCount), at: Self.countOffset)
            return out.bytes
        }
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
            texts.reserveCapacity(textCount)
            for _ in 0..<textCount {
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
