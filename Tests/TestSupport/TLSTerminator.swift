#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import TLS

/// A TLS server in front of a plain one, as a TLS-terminating proxy would be: it accepts TLS
/// on 127.0.0.1 (port 0: `port` says which), presents `TestCertificates`' server certificate,
/// and passes the bytes of each connection to and from `127.0.0.1:backendPort`. Each
/// connection has its own thread; `stop` closes the listener and every connection.
public final class TLSTerminator: Sendable {
    public let port: Int
    private let listener: Int32
    private let context: TLSContext
    private let backendPort: Int
    private let open = Mutex<(stopped: Bool, descriptors: Set<Int32>)>((false, []))
    /// Handshakes that completed (a test shows a client refused before any request).
    public let handshakes = Atomic<Int>(0)

    public init(certificates: TestCertificates, backendPort: Int) throws {
        context = try TLSContext(serverCertificateChainFile: certificates.serverCertificateFile,
                                 privateKeyFile: certificates.serverKeyFile)
        self.backendPort = backendPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, bound else { throw TestSupportError("the TLS terminator cannot listen") }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptConnections() }
        thread.name = "tls-terminator"
        thread.start()
    }

    public func stop() {
        let descriptors = open.withLock { state -> Set<Int32> in
            state.stopped = true
            return state.descriptors
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in descriptors { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    private func track(_ fd: Int32) -> Bool {
        open.withLock { state in
            guard !state.stopped else { return false }
            state.descriptors.insert(fd)
            return true
        }
    }

    private func acceptConnections() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            guard track(client) else {
                close(client)
                return
            }
            let thread = Thread { [self] in serve(client) }
            thread.name = "tls-connection"
            thread.start()
        }
    }

    /// Waits (at most 10 s) until `fd` is ready for `events`; false when it never is.
    private func wait(_ fd: Int32, _ events: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(events), revents: 0)
        return poll(&descriptor, 1, 10_000) > 0
    }

    /// Runs `step` until it does something: waits for the readiness the session asks for.
    private func drive(_ fd: Int32, _ step: () -> TLSSession.Step) -> Int? {
        while true {
            switch step() {
            case .done(let n): return n
            case .wantsRead: guard wait(fd, POLLIN) else { return nil }
            case .wantsWrite: guard wait(fd, POLLOUT) else { return nil }
            case .closed, .failed: return nil
            }
        }
    }

    private func serve(_ client: Int32) {
        var backend: Int32 = -1
        defer {
            open.withLock { state in
                state.descriptors.remove(client)
                state.descriptors.remove(backend)
            }
            close(client)
            if backend >= 0 { close(backend) }
        }
        _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
        guard let session = try? TLSSession(server: context, fd: client) else { return }
        defer { session.close() }
        guard drive(client, { session.handshake() }) != nil else { return }
        handshakes.add(1, ordering: .relaxed)
        backend = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: UInt16(backendPort))
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(backend, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected, track(backend) else { return }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if !session.hasBufferedInput {
                var descriptors = [pollfd(fd: client, events: Int16(POLLIN), revents: 0),
                                   pollfd(fd: backend, events: Int16(POLLIN), revents: 0)]
                guard poll(&descriptors, 2, 30_000) > 0 else { return }
                if descriptors[1].revents != 0 {
                    let n = buffer.withUnsafeMutableBytes { recv(backend, $0.baseAddress, $0.count, 0) }
                    guard n > 0 else { return }
                    var offset = 0
                    while offset < n {
                        guard let written = buffer.withUnsafeBytes({ bytes in
                            drive(client) { session.write(UnsafeRawBufferPointer(rebasing: bytes[offset..<n])) }
                        }) else { return }
                        offset += written
                    }
                }
                if descriptors[0].revents == 0 { continue }
            }
            let step = buffer.withUnsafeMutableBytes { session.read(into: $0) }
            switch step {
            case .done(let n):
                guard buffer.withUnsafeBytes({ send(backend, $0.baseAddress, n, Int32(MSG_NOSIGNAL)) }) == n else { return }
            case .wantsRead: continue
            case .wantsWrite: guard wait(client, POLLOUT) else { return }
            case .closed, .failed: return
            }
        }
    }
}
