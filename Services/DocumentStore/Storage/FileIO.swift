import CFileSync
import Coordination
import Errors
import Foundation
import Glibc

/// The few POSIX file operations the store needs, with EINTR handled and failures as
/// `ClienteleError`s (the errno in the internal detail, never a file name): a full volume
/// (`ENOSPC`, `EDQUOT`) is `.unavailable` (503 with `Retry-After` through the gateway, like
/// every write that cannot be stored now and may be retried once an operator frees space),
/// anything else `.internal`.
enum FileIO {
    static func failure(_ operation: String, _ code: Int32 = errno) -> ClienteleError {
        if code == ENOSPC || code == EDQUOT {
            return ClienteleError(.unavailable, "Document storage is full; retry later", internalDetail: "\(operation): errno \(code)")
        }
        return ClienteleError(.internal, "Document storage failed", internalDetail: "\(operation): errno \(code)")
    }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o600) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw failure("open") }
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("write")
            }
            offset += n
        }
    }

    /// Reads up to `count` bytes at `offset` (fewer only at the end of the file).
    static func read(_ fd: Int32, count: Int, at offset: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure("pread")
            }
            if n == 0 { break }
            done += n
        }
        if done < count { buffer.removeSubrange(done...) }
        return buffer
    }

    /// Starts writing `length` bytes from `offset` of the file to the device, without waiting
    /// (`sync_file_range(SYNC_FILE_RANGE_WRITE)`). A hint, not durability: the file's `fsync`
    /// still decides, and reports any failure of the device, so this one's result is not
    /// checked.
    static func startWriteback(_ fd: Int32, offset: Int, length: Int) {
        _ = clientele_start_writeback(fd, Int64(offset), Int64(length))
    }

    static func fsync(_ fd: Int32) throws {
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { throw failure("fsync") }
        }
    }

    /// fsyncs the directory at `path`, so a rename or a new entry in it survives a crash.
    static func fsyncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd)
    }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// Size and modification time of the file at `path`; nil when there is none.
    static func status(_ path: String) -> (size: Int, modified: Date)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
        return (Int(info.st_size), modified)
    }

    /// Sets the file's modification time to now.
    static func touch(_ path: String) throws {
        guard utimensat(AT_FDCWD, path, nil, 0) == 0 else { throw failure("utimensat") }
    }

    static func unlinkIfPresent(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("unlink") }
    }

    /// The names in the directory at `path` (without `.` and `..`); empty when it is missing.
    static func names(in path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    }

    /// The store's threads for blocking file work: at most 16 calls at once (uploads'
    /// fsyncs, downloads' reads, the sweep's and `verify`'s walks), the rest queued.
    static let workers = BlockingWorkers(name: "document-files", maxThreads: 16)

    /// Runs blocking file work (fsync, reads, hashing a whole file) on the store's own threads,
    /// off Swift's cooperative pool, whose few threads every upload's and download's task shares
    /// (`DispatchQueue.global()` is that pool on Linux).
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await workers.run(work)
    }
}
