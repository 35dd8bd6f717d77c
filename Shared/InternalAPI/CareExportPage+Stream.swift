/// The care export's stream (`InternalPaths.careExport`, `application/octet-stream`): its
/// pages in order, each framed by its length, and an empty frame at the end, so a stream cut
/// short (the projection failed mid-way) is told from a finished one.
///
///     stream := frame* end
///     frame  := length:u32 page        (page: `CareExportPage+Wire`, length > 0)
///     end    := 0:u32
///
/// Integers little-endian. `StreamReader` reads it back from pieces split anywhere.
extension CareExportPage {
    /// The largest frame a reader takes (a page of `maxRows` rows of long texts stays far below).
    public static let maxFrameBytes = 64 << 20

    /// The page as one frame of the stream (`FrameWriter`).
    public var frameBytes: [UInt8] {
        var writer = FrameWriter(capacity: 12 + rows.count * 180)
        for row in rows { writer.append(row) }
        return writer.frame()
    }

    /// The frame that ends the stream.
    public static let endFrame: [UInt8] = [0, 0, 0, 0]

    /// Reads pages back from the stream's bytes as they arrive, in pieces of any size.
    public struct StreamReader: Sendable {
        /// The bytes are not the export's stream (or a frame is over `maxFrameBytes`).
        public struct Malformed: Error, Equatable {
            public let reason: String
        }

        private var buffer: [UInt8] = []
        /// Where the unread bytes of `buffer` start.
        private var start = 0
        /// The end frame was read.
        public private(set) var ended = false

        public init() {}

        /// Bytes received and not yet read as pages.
        public var unread: Int { buffer.count - start }

        /// Adds the next bytes of the stream.
        public mutating func append(_ bytes: [UInt8]) {
            if start > 0, start >= buffer.count / 2 {
                buffer.removeFirst(start)
                start = 0
            }
            buffer.append(contentsOf: bytes)
        }

        /// The next whole page; nil when more bytes are needed or the stream ended. Throws on
        /// a malformed frame, or on bytes after the end.
        public mutating func nextPage() throws(Malformed) -> CareExportPage? {
            if ended {
                guard unread == 0 else { throw Malformed(reason: "bytes after the end of the export") }
                return nil
            }
            guard unread >= 4 else { return nil }
            let length = buffer.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: UInt32.self))) }
            if length == 0 {
                ended = true
                start += 4
                guard unread == 0 else { throw Malformed(reason: "bytes after the end of the export") }
                return nil
            }
            guard length <= CareExportPage.maxFrameBytes else { throw Malformed(reason: "export frame of \(length) bytes") }
            guard unread >= 4 + length else { return nil }
            let from = start + 4
            let page = buffer.withUnsafeBytes { CareExportPage(wireBuffer: UnsafeRawBufferPointer(rebasing: $0[from..<from + length])) }
            guard let page else { throw Malformed(reason: "undecodable export page") }
            start = from + length
            return page
        }
    }
}
