import Errors
import Foundation
import Glibc

/// The document files, content-addressed on the volume: `objects/ab/<sha256>` (fanned out by
/// the first byte), each written once and never changed.
///
/// A file is written as `tmp/<uuid>.part`, fsynced, renamed into `objects/` and the directory
/// fsynced (`commit`); only then does the caller commit the metadata row. A crash leaves at
/// worst a `.part` file (removed at the next start) or a complete object no row names (removed
/// by the sweep after its grace period): never a partial object. The same bytes uploaded again
/// find their object there and only refresh its modification time, so the sweep, which spares
/// objects changed within the grace period, cannot remove it before the new row commits.
///
/// One document store owns a directory: two processes sharing one could sweep each other's
/// objects between rename and commit.
struct ContentStore: Sendable {
    let root: String
    let objectGuard = ObjectGuard()
    var objects: String { root + "/objects" }
    var temporary: String { root + "/tmp" }

    /// Opens (creating) the layout under `root` and removes `.part` files a crash left.
    init(root: String) throws {
        self.root = root
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
            for byte in 0..<256 {
                try fileManager.createDirectory(atPath: root + "/objects/" + Self.fanOut(UInt8(byte)),
                                                withIntermediateDirectories: true)
            }
        } catch {
            throw FileIO.failure("mkdir", EACCES)
        }
        try FileIO.fsyncDirectory(root + "/objects")
        try FileIO.fsyncDirectory(root)
        for name in FileIO.names(in: temporary) { try FileIO.unlinkIfPresent(temporary + "/" + name) }
    }

    static func fanOut(_ byte: UInt8) -> String { String(format: "%02x", byte) }

    func path(of sha256: String) -> String { objects + "/" + sha256.prefix(2) + "/" + sha256 }

    /// A new temporary file to write an upload into.
    func stage() throws -> StagedFile {
        let path = temporary + "/" + UUID().uuidString.lowercased() + ".part"
        return StagedFile(fd: try FileIO.open(path, O_RDWR | O_CREAT | O_EXCL, mode: 0o600), path: path)
    }

    /// Makes the staged file the object for `sha256`: fsync, rename (or, when the object
    /// exists already, refresh its time and drop the copy), fsync the directory. Blocking.
    ///
    /// The object is held (`ObjectGuard`) from here on: call `release` once its row is
    /// committed, or the upload failed.
    func commit(_ staged: StagedFile, sha256: String) throws {
        try staged.closeForCommit()
        let target = path(of: sha256)
        try objectGuard.exclusively {
            objectGuard.hold(sha256)
            do {
                if FileIO.status(target) != nil {
                    try FileIO.touch(target)
                    try FileIO.unlinkIfPresent(staged.path)
                    return
                }
                guard rename(staged.path, target) == 0 else { throw FileIO.failure("rename") }
                try FileIO.fsyncDirectory(objects + "/" + sha256.prefix(2))
            } catch {
                objectGuard.release(sha256)
                throw error
            }
        }
    }

    /// Ends the hold `commit` took.
    func release(_ sha256: String) { objectGuard.release(sha256) }

    /// Removes the object unless it is held or was written or refreshed after `cutoff`;
    /// whether it was removed. The caller has found no row naming it.
    func removeUnreferenced(_ sha256: String, unchangedSince cutoff: Date) throws -> Bool {
        try objectGuard.exclusively {
            guard !objectGuard.isHeld(sha256), let status = FileIO.status(path(of: sha256)),
                  status.modified < cutoff else { return false }
            try FileIO.unlinkIfPresent(path(of: sha256))
            return true
        }
    }

    /// Every object: its digest and modification time.
    func objectFiles() -> [(sha256: String, modified: Date)] {
        var files: [(String, Date)] = []
        for byte in 0..<256 {
            let directory = objects + "/" + Self.fanOut(UInt8(byte))
            for name in FileIO.names(in: directory) {
                guard let status = FileIO.status(directory + "/" + name) else { continue }
                files.append((name, status.modified))
            }
        }
        return files
    }

    /// The `.part` files now (uploads in progress, or left by a crash).
    func temporaryFiles() -> [String] { FileIO.names(in: temporary) }

    /// Whether the directory takes a new file now (readiness): creates, fsyncs, removes one.
    func checkWritable() throws {
        let staged = try stage()
        defer { staged.discard() }
        try [UInt8(0)].withUnsafeBytes { try staged.write($0) }
    }
}

/// An upload being written to a temporary file.
///
/// Each `writebackWindow` written is handed to the device at once (`FileIO.startWriteback`),
/// while the rest of the body still arrives, so the commit's fsync finds most of the file on its
/// way to the disk already, and an upload never has more than a window in the page cache that
/// the device has not been given (measured: docs/performance.md, design measurements).
final class StagedFile: @unchecked Sendable {
    // @unchecked Sendable: used by one upload task at a time (the task that created it);
    // `fd`, `written` and `handedOver` change only on that task.
    private(set) var fd: Int32
    let path: String
    /// Bytes written so far.
    private var written = 0
    /// Bytes already handed to the device (`FileIO.startWriteback`).
    private var handedOver = 0

    static let writebackWindow = 1 << 20

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        try FileIO.writeAll(fd, bytes)
        written += bytes.count
        if written - handedOver >= Self.writebackWindow {
            FileIO.startWriteback(fd, offset: handedOver, length: written - handedOver)
            handedOver = written
        }
    }

    /// fsyncs and closes the file (the content is durable before any rename names it).
    func closeForCommit() throws {
        try FileIO.fsync(fd)
        FileIO.close(fd)
        fd = -1
    }

    /// Closes and removes the file (an upload refused or abandoned).
    func discard() {
        if fd >= 0 { FileIO.close(fd) }
        fd = -1
        try? FileIO.unlinkIfPresent(path)
    }
}
