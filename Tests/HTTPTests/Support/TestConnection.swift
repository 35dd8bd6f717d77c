import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import HTTP

/// A blocking loopback TCP client for driving the server byte by byte.
final class TestConnection {
    struct Response {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body)) }
    }

    struct Closed: Error {}

    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int, timeout: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Closed()
        }
        setTimeout(timeout)
    }

    func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Closed() }
            offset += n
        }
    }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads more bytes; false at EOF, error or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Reads one response (Content-Length framed, or to EOF).
    func readResponse(head: Bool = false) throws -> Response {
        while true {
            if let end = find([13, 10, 13, 10]) {
                let headText = String(decoding: buffer[0..<end], as: UTF8.self)
                var lines = headText.components(separatedBy: "\r\n")
                let statusLine = lines.removeFirst().split(separator: " ")
                guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Closed() }
                var headers = HTTPHeaders()
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers.add(name: String(line[..<colon]), value: String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
                }
                let bodyStart = end + 4
                if status == 100 {
                    buffer.removeFirst(bodyStart)
                    continue
                }
                let length = head ? 0 : Int(headers["Content-Length"] ?? "0") ?? 0
                while buffer.count < bodyStart + length {
                    guard fill() else { throw Closed() }
                }
                let body = Array(buffer[bodyStart..<(bodyStart + length)])
                buffer.removeFirst(bodyStart + length)
                return Response(status: status, headers: headers, body: body)
            }
            guard fill() else { throw Closed() }
        }
    }

    /// Reads what arrives next (at least one byte); the count read, including what was buffered.
    func readSome() throws -> Int {
        if buffer.isEmpty { guard fill() else { throw Closed() } }
        let count = buffer.count
        buffer.removeAll()
        return count
    }

    /// Reads until `pattern` has arrived; everything read up to its end.
    func readUntil(_ pattern: [UInt8]) throws -> [UInt8] {
        while true {
            if let at = find(pattern) {
                let bytes = Array(buffer[0..<(at + pattern.count)])
                buffer.removeFirst(at + pattern.count)
                return bytes
            }
            guard fill() else { throw Closed() }
        }
    }

    /// Reads until the peer closes (or the timeout); everything read.
    func readToEnd() throws -> [UInt8] {
        while fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// Shrinks the socket's receive buffer (so what the server has sent shows sooner).
    func setReceiveBuffer(_ bytes: Int32) {
        var size = bytes
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Closes the socket now.
    func closeNow() { shutdown(fd, Int32(SHUT_RDWR)) }

    /// Whether the server closed the connection (EOF) within the timeout.
    func isClosedByPeer() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for i in 0...(buffer.count - pattern.count) where buffer[i] == pattern[0] {
            if Array(buffer[i..<(i + pattern.count)]) == pattern { return i }
        }
        return nil
    }
}

/// A server on an ephemeral port, shut down by `stop()`.
struct RunningServer {
    let server: HTTPServer
    let port: Int
    let task: Task<Void, any Error>

    static func start(_ router: Router, observer: (any HTTPServerObserver)? = nil,
                      configure: (inout HTTPServerConfiguration) -> Void = { _ in }) async throws -> RunningServer {
        var configuration = HTTPServerConfiguration(eventLoopCount: 2)
        configure(&configuration)
        let server = HTTPServer(configuration: configuration, router: router, observer: observer)
        let task = Task { try await server.run() }
        let port = try await server.boundPort()
        return RunningServer(server: server, port: port, task: task)
    }

    func connect(timeout: Double = 5) throws -> TestConnection {
        try TestConnection(port: port, timeout: timeout)
    }

    func stop() async throws {
        server.beginGracefulShutdown()
        try await task.value
    }
}
