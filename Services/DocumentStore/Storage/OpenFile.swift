import Glibc

/// A file opened for reading, closed when the last reference goes: a streamed download's
/// producer may never run (the caller went away before its answer was sent), and its file
/// must not stay open then.
final class OpenFile: Sendable {
    let fd: Int32

    init(_ path: String) throws {
        fd = try FileIO.open(path, O_RDONLY)
    }

    deinit {
        FileIO.close(fd)
    }
}
