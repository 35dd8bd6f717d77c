#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TLS

/// A non-blocking client socket driven with poll(2) and absolute deadlines, in the clear or
/// through a TLS session (`secure`).
///
/// The blocking calls (`connect`, `secure`, `send`, `receive`) run only on the client's worker
/// threads, never on Swift's cooperative pool; a task on an event loop uses the non-blocking
/// `sendSome` and `receiveSome` and waits for readiness on its loop (plain connections only).
final class ClientSocket {
    enum Failure: Error {
        case connectFailed(Int32)
        case timedOut
        /// The peer closed or reset the connection.
        case closed
        /// The TLS handshake or session failed (the reason is for operators).
        case tls(String)
    }

    let fd: Int32
    private(set) var isClosed = false
    /// The TLS session once `secure` succeeded.
    private(set) var tls: TLSSession?
    /// The readiness the last `sendSome` or `receiveSome` that did nothing waits for: TLS may
    /// need to read in order to write and the other way round.
    private var pendingReadiness = Int16(POLLOUT)

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

    /// Runs the TLS handshake for `serverName` (its certificate verified) before the deadline.
    func secure(_ context: TLSContext, serverName: String, deadline: UInt64) throws {
        let session: TLSSession
        do {
            session = try TLSSession(client: context, fd: fd, serverName: serverName)
        } catch {
            throw Failure.tls(String(describing: error))
        }
        tls = session
        while true {
            switch session.handshake() {
            case .done: return
            case .wantsRead: try wait(for: Int16(POLLIN), deadline: deadline)
            case .wantsWrite: try wait(for: Int16(POLLOUT), deadline: deadline)
            case .closed: throw Failure.tls("the server closed the connection during the handshake")
            case .failed(let reason): throw Failure.tls(reason)
            }
        }
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
                try wait(for: pendingReadiness, deadline: deadline)
            }
        }
    }

    /// Sends what the socket takes now of `bytes[offset...]`: the count sent, 0 if it would block.
    func sendSome(_ bytes: [UInt8], from offset: Int) throws -> Int {
        if let tls {
            let step = bytes.withUnsafeBytes { tls.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            return try progress(step, closedIs: nil) ?? 0
        }
        pendingReadiness = Int16(POLLOUT)
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
            try wait(for: pendingReadiness, deadline: deadline)
        }
    }

    /// Receives what is there into `buffer`: the count, 0 if the peer closed, nil if nothing yet.
    func receiveSome(into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
        if let tls { return try progress(tls.read(into: buffer), closedIs: 0) }
        pendingReadiness = Int16(POLLIN)
        let n = recv(fd, buffer.baseAddress, buffer.count, 0)
        if n >= 0 { return n }
        if errno == EAGAIN || errno == EINTR { return nil }
        throw Failure.closed
    }

    /// The count a TLS step moved; nil when it waits (for `pendingReadiness`); `closedIs` when
    /// the peer ended the session (a write cannot go on: it throws).
    private func progress(_ step: TLSSession.Step, closedIs: Int?) throws -> Int? {
        switch step {
        case .done(let n): return n
        case .wantsRead: pendingReadiness = Int16(POLLIN); return nil
        case .wantsWrite: pendingReadiness = Int16(POLLOUT); return nil
        case .closed:
            guard let closedIs else { throw Failure.closed }
            return closedIs
        case .failed(let reason): throw Failure.tls(reason)
        }
    }

    /// Whether an idle connection is still usable: nothing to read, no EOF, no error.
    var isReusable: Bool {
        if tls?.hasBufferedInput == true { return false }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        tls?.close()
        Glibc.close(fd)
    }
}
