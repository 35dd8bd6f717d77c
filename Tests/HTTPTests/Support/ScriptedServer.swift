import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A blocking one-thread-per-connection server whose replies a test scripts exactly.
final class ScriptedServer: Sendable {
    enum Action {
        case respond(String)
        case closeWithoutResponse
    }

    let port: Int
    private let listenFD: Int32
    private let state = Mutex((requests: [String](), connections: 0, stopped: false))
    private let acceptLoopEnded = DispatchSemaphore(value: 0)
    private let script: @Sendable (_ requestOnConnection: Int) -> Action

    var requests: [String] { state.withLock { $0.requests } }
    var connections: Int { state.withLock { $0.connections } }

    init(script: @escaping @Sendable (Int) -> Action) {
        self.script = script
        let listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listenFD = listenFD
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(listenFD, 16)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &length) }
        }
        port = Int(UInt16(bigEndian: bound.sin_port))
        startAccepting()
    }

    private func startAccepting() {
        let thread = Thread { [self] in
            acceptLoop()
            acceptLoopEnded.signal()
        }
        thread.start()
    }

    /// Stops accepting. The listening descriptor is closed only after the accept thread has
    /// left `accept`: closing it earlier let a later test's socket reuse the number, and this
    /// server's thread then accepted (and scripted) that test's connections.
    func stop() {
        let first: Bool = state.withLock { state in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first else { return }
        shutdown(listenFD, Int32(SHUT_RDWR))
        acceptLoopEnded.wait()
        close(listenFD)
    }

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else { return }
            if state.withLock({ $0.stopped }) {
                close(fd)
                return
            }
            state.withLock { $0.connections += 1 }
            let thread = Thread { [self] in serve(fd) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var buffer: [UInt8] = []
        var count = 0
        while true {
            // Read one request head plus Content-Length body.
            var request: String?
            while request == nil {
                if let end = findHeadEnd(buffer) {
                    let head = String(decoding: buffer[0..<end], as: UTF8.self)
                    var length = 0
                    for line in head.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                        length = Int(line.dropFirst(15).trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                    if buffer.count >= end + 4 + length {
                        request = head
                        buffer.removeFirst(end + 4 + length)
                        break
                    }
                }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = recv(fd, &chunk, chunk.count, 0)
                guard n > 0 else { return }
                buffer += chunk[0..<n]
            }
            state.withLock { $0.requests.append(request ?? "") }
            count += 1
            switch script(count) {
            case .respond(let text):
                let bytes = Array(text.utf8)
                _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            case .closeWithoutResponse:
                return
            }
        }
    }

    private func findHeadEnd(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }
}
