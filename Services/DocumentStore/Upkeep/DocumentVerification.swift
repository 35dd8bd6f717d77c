import Crypto
import Foundation
import Glibc
import InternalAPI

/// Rehashes every document's file against its metadata (`clientctl documents verify`):
/// missing files, files whose size or SHA-256 differs (corrupt), and files or temporary
/// files no row names (orphaned). Reads each file once, 1 MiB at a time, on a Dispatch thread.
struct DocumentVerification: Sendable {
    let store: ContentStore
    let metadata: DocumentMetadata

    func run() async throws -> DocumentVerifyReport {
        let rows = try await metadata.allObjects()
        let store = self.store
        return try await FileIO.offload {
            var report = DocumentVerifyReport(checked: rows.count)
            var verdicts: [String: Bool] = [:] // sha256 → the file holds exactly those bytes
            for row in rows {
                guard let status = FileIO.status(store.path(of: row.sha256)) else {
                    report.missing.append(row.id)
                    continue
                }
                let intact: Bool
                if let known = verdicts[row.sha256] {
                    intact = known
                } else {
                    intact = status.size == Int(row.size) && (try? Self.digest(of: store.path(of: row.sha256))) == row.sha256
                    verdicts[row.sha256] = intact
                }
                if status.size != Int(row.size) || !intact { report.corrupt.append(row.id) }
            }
            let named = Set(rows.map(\.sha256))
            report.orphaned = store.objectFiles().map(\.sha256).filter { !named.contains($0) }.sorted()
                + store.temporaryFiles().map { "tmp/" + $0 }.sorted()
            return report
        }
    }

    static func digest(of path: String) throws -> String {
        let fd = try FileIO.open(path, O_RDONLY)
        defer { FileIO.close(fd) }
        let hasher = SHA256Hasher()
        var offset = 0
        while true {
            let chunk = try FileIO.read(fd, count: 1 << 20, at: offset)
            if chunk.isEmpty { break }
            hasher.update(chunk)
            offset += chunk.count
        }
        return Hex.encode(hasher.finish())
    }
}
