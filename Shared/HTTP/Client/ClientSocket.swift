#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A non-blocking client socket driven with poll(2) and absolute deadlines.
///
/// The blocking calls (`connect`, `send`, `receive`) run only on the client's worker threads,
/// never on Swift's cooperative pool; a task on an event loop uses the non-blocking
/// `sendSome` and `receiveSome` and waits for readiness on its loop.
final class ClientSocket {
    enum Failure: Error {
        case connectFailed(Int32)
        case timedOut
        /// The peer closed or reset the connection.
        case closed
    }

    let fd: Int32
    private(set) var isClosed = false

    private init(fd: Int32) { self.fd = fd }

    deinit { close() }

    /// Connects to `address`, waiting at most until `deadline` (monotonic nanoseconds).
    static func connect(to address: Socket.Address, deadline: UInt64) throws -> ClientSocket {
        let fd = socket(address.family, Socket.streamType, 0)
        guard fd >= 0 else { throw Failure.connectFailed(errno) }
        let socket = ClientSocket(fd: fd)
        let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if result != 0 {
            guard errno == EINPROGRESS else { throw Failure.connectFailed(errno) }
            try socket.wait(for: Int16(POLLOUT), deadline: deadline)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw Failure.connectFailed(error) }
        }
        Socket.setNoDelay(fd)
        return socket
    }

    /// Waits until the socket is ready for `events` or the deadline passes.
    private func wait(for events: Int16, deadline: UInt64) throws {
        while true {
            let now = Socket.monotonicNanoseconds()
            guard now < deadline else { throw Failure.timedOut }
            let milliseconds = Int32(min(UInt64(Int32.max), (deadline - now + 999_999) / 1_000_000))
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw Failure.closed }
        }
    }

    /// Sends all of `bytes` before the deadline.
    func send(_ bytes: [UInt8], deadline: UInt64) throws {
        var offset = 0
        while offset < bytes.count {
            let n = try sendSome(bytes, from: offset)
            if n > 0 {
                offset += n
            } else {
                try wait(for: Int16(POLLOUT), deadline: deadline)
            }
        }
    }

    /// Sends what the socket takes now of `bytes[offset...]`: the count sent, 0 if it would block.
    func sendSome(_ bytes: [UInt8], from offset: Int) throws -> Int {
        let n = bytes.withUnsafeBytes { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return Glibc.send(fd, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
        }
        if n > 0 { return n }
        if n < 0, errno == EAGAIN || errno == EINTR { return 0 }
        throw Failure.closed
    }

    /// Receives some bytes into `buffer`; 0 means the peer closed.
    func receive(into buffer: UnsafeMutableRawBufferPointer, deadline: UInt64) throws -> Int {
        while true {
            if let n = try receiveSome(into: buffer) { return n }
            try wait(for: Int16(POLLIN), deadline: deadline)
        }
    }

    /// Receives what is there into `buffer`: the count, 0 if the peer closed, nil if nothing yet.
    func receiveSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
        let n = recv(fd, buffer.baseAddress, buffer.count, 0)
        if n >= 0 { return n }
        if errno == EAGAIN || errno == EINTR { return nil }
        throw Failure.closed
    }

    /// Whether an idle connection is still usable: nothing to read, no EOF, no error.
    var isReusable: Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }
}
