import Foundation
import Glibc

/// The entry names of a ZIP archive, read from its central directory (found through the
/// end-of-central-directory record in the file's last 64 KiB + 22 bytes).
///
/// Office files (DOCX, XLSX) are ZIP archives told apart by their entries. Reads at most
/// `maxDirectoryBytes` of directory; anything malformed is an empty list (not an office file).
enum ZipEntryNames {
    static let maxDirectoryBytes = 4 * 1024 * 1024

    static func read(fd: Int32, size: Int) -> [String] {
        let tailLength = min(size, 65_535 + 22)
        guard tailLength >= 22, let tail = pread(fd, count: tailLength, at: size - tailLength) else { return [] }
        // The end record: signature 50 4B 05 06, searched backwards (a comment may follow it).
        var end = -1
        var index = tail.count - 22
        while index >= 0 {
            if tail[index] == 0x50, tail[index + 1] == 0x4B, tail[index + 2] == 0x05, tail[index + 3] == 0x06 {
                end = index
                break
            }
            index -= 1
        }
        guard end >= 0 else { return [] }
        let entries = Int(le16(tail, end + 10))
        let directorySize = Int(le32(tail, end + 12))
        let directoryOffset = Int(le32(tail, end + 16))
        guard directorySize <= maxDirectoryBytes, directoryOffset + directorySize <= size,
              let directory = pread(fd, count: directorySize, at: directoryOffset) else { return [] }
        var names: [String] = []
        var position = 0
        for _ in 0..<entries {
            guard position + 46 <= directory.count, le32(directory, position) == 0x0201_4B50 else { break }
            let nameLength = Int(le16(directory, position + 28))
            let extraLength = Int(le16(directory, position + 30))
            let commentLength = Int(le16(directory, position + 32))
            guard position + 46 + nameLength <= directory.count else { break }
            names.append(String(decoding: directory[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self))
            position += 46 + nameLength + extraLength + commentLength
        }
        return names
    }

    private static func pread(_ fd: Int32, count: Int, at offset: Int) -> [UInt8]? {
        guard count >= 0, offset >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            done += n
        }
        return buffer
    }

    private static func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    private static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }
}
