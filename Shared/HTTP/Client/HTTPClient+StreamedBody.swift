import Coordination
import Errors
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension HTTPClient {
    /// Sends `request` with `body`'s chunks as its body, each sent as it comes, so the body
    /// is never held whole: with `contentLength` as `Content-Length` (the chunks must add up to
    /// it), else `Transfer-Encoding: chunked`. `request.body` is ignored.
    ///
    /// Memory stays at one chunk: the next is asked of `body` only once the previous one is
    /// in the socket, so a slow server slows the producer (backpressure). A server that
    /// answers before the body is complete (a 413 or 415 after the first bytes) is heard at
    /// once: the client stops sending, reads that answer and closes the connection. The
    /// socket work runs on the client's worker threads; waiting for the next chunk holds none.
    /// Never retried (the body cannot be replayed); `requestTimeout` bounds the whole call.
    public func execute<Body: AsyncSequence & Sendable>(_ request: HTTPClientRequest, streaming body: Body,
                                                        contentLength: Int?) async throws -> HTTPClientResponse
    where Body.Element == [UInt8] {
        let target = try Target(url: request.url)
        let exchange = try await onWorker { [self] in try StreamedExchange.open(self, request, target: target) }
        do {
            try await onWorker { try exchange.sendHead(request, target: target, contentLength: contentLength) }
            var sent = 0
            var answeredEarly = false
            for try await chunk in body where !chunk.isEmpty {
                sent += chunk.count
                if let contentLength, sent > contentLength {
                    throw ClienteleError(.internal, "Internal server error", internalDetail: "streamed body longer than its length")
                }
                answeredEarly = try await send(exchange.framed(chunk), on: exchange)
                if answeredEarly { break }
            }
            if !answeredEarly {
                if let contentLength, sent != contentLength {
                    throw ClienteleError(.internal, "Internal server error", internalDetail: "streamed body shorter than its length")
                }
                if contentLength == nil { answeredEarly = try await send(exchange.framed([], last: true), on: exchange) }
            }
            let response = try await onWorker { try exchange.receiveResponse() }
            exchange.finish(reusable: !answeredEarly)
            return response
        } catch {
            exchange.finish(reusable: false)
            throw clienteleError(error, target: target)
        }
    }

    /// Sends `wire`: what the socket takes at once from this task, the rest (waiting for room)
    /// on a worker thread; true when the server answered first.
    private func send(_ wire: [UInt8], on exchange: StreamedExchange) async throws -> Bool {
        switch try exchange.sendWithoutWaiting(wire) {
        case .answered: return true
        case .sent(let offset) where offset == wire.count: return false
        case .sent(let offset): return try await onWorker { try exchange.send(wire, from: offset) }
        }
    }

    /// Runs blocking socket work on the client's worker threads.
    func onWorker<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await workers.run(work)
    }
}

/// One streamed request on a leased connection.
final class StreamedExchange: @unchecked Sendable {
    // @unchecked Sendable: its steps run one after another (each awaited before the next is
    // submitted), so the socket and parser are never used by two threads at once.
    private let client: HTTPClient
    private let key: HTTPConnectionPool.Key
    private let socket: ClientSocket
    private let deadline: UInt64
    private let isHead: Bool
    /// Whether the connection came from the idle pool (it may have been closed meanwhile).
    let reused: Bool
    private var chunked = false
    private var parser: HTTPResponseParser
    private var released = false
    /// The receive buffer of a streamed response (`receiveBodyPiece`), allocated on first use.
    private var receiveBuffer: UnsafeMutableRawBufferPointer?

    private init(client: HTTPClient, key: HTTPConnectionPool.Key, socket: ClientSocket, deadline: UInt64, isHead: Bool,
                 reused: Bool, streamsResponse: Bool) {
        self.client = client
        self.key = key
        self.socket = socket
        self.deadline = deadline
        self.isHead = isHead
        self.reused = reused
        parser = HTTPResponseParser(isHeadRequest: isHead, streamsBody: streamsResponse)
    }

    /// An exchange dropped before it finished (a streamed response nobody read to its end)
    /// closes its connection and frees its place in the pool.
    deinit {
        receiveBuffer?.deallocate()
        if !released {
            socket.close()
            client.pool.release(key, nil)
        }
    }

    static func open(_ client: HTTPClient, _ request: HTTPClientRequest, target: HTTPClient.Target,
                     streamsResponse: Bool = false) throws -> StreamedExchange {
        let (address, key) = try client.destination(of: request, target: target)
        // Streamed calls are between internal services; their early-answer checks read the socket itself.
        guard key.tls == nil else { throw ClienteleError(.invalidArgument, "Streamed calls are plain http:// only") }
        let now = Socket.monotonicNanoseconds()
        let deadline = now &+ client.configuration.requestTimeout.clampedNanoseconds
        let connectDeadline = now &+ client.configuration.connectTimeout.clampedNanoseconds
        let (socket, reused) = try client.pool.acquire(key, address: address, connectDeadline: connectDeadline, deadline: deadline)
        return StreamedExchange(client: client, key: key, socket: socket, deadline: deadline, isHead: request.method == .HEAD,
                                reused: reused, streamsResponse: streamsResponse)
    }

    func sendHead(_ request: HTTPClientRequest, target: HTTPClient.Target, contentLength: Int?) throws {
        var head: [UInt8] = []
        head.append(contentsOf: "\(request.method.rawValue) \(target.requestTarget) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n".utf8)
        for field in request.headers {
            guard HTTPConnection.isValidFieldName(field.name), HTTPConnection.isValidFieldValue(field.value) else { continue }
            let name = field.name.lowercased()
            if name == "host" || name == "content-length" || name == "transfer-encoding" || name == "expect" { continue }
            head.append(contentsOf: "\(field.name): \(field.value)\r\n".utf8)
        }
        if let contentLength {
            head.append(contentsOf: "Content-Length: \(contentLength)\r\n\r\n".utf8)
        } else {
            chunked = true
            head.append(contentsOf: "Transfer-Encoding: chunked\r\n\r\n".utf8)
        }
        _ = try send(head, from: 0)
    }

    /// `bytes` as the body's next piece on the wire (chunk-framed when chunked; `last` adds the
    /// final chunk).
    func framed(_ bytes: [UInt8], last: Bool = false) -> [UInt8] {
        guard chunked else { return bytes }
        var wire: [UInt8] = []
        if !bytes.isEmpty {
            wire.reserveCapacity(bytes.count + 16)
            wire.append(contentsOf: String(bytes.count, radix: 16).utf8)
            wire.append(contentsOf: [13, 10])
            wire.append(contentsOf: bytes)
            wire.append(contentsOf: [13, 10])
        }
        if last { wire.append(contentsOf: "0\r\n\r\n".utf8) }
        return wire
    }

    enum Progress {
        case sent(Int)
        case answered
    }

    /// Sends what the socket takes of `wire` now, never waiting: how far it got, or that the
    /// server answered (or closed) before the body was complete.
    func sendWithoutWaiting(_ wire: [UInt8]) throws -> Progress {
        if Self.hasInput(socket.fd) { return .answered }
        var offset = 0
        while offset < wire.count {
            let n: Int
            do {
                n = try socket.sendSome(wire, from: offset)
            } catch ClientSocket.Failure.closed {
                return .answered
            }
            if n == 0 { break }
            offset += n
        }
        return .sent(offset)
    }

    /// Sends `bytes` from `offset` on, waiting for room; true (stopping early) when the server
    /// answers or closes meanwhile: its answer is read next.
    func send(_ bytes: [UInt8], from offset: Int) throws -> Bool {
        var offset = offset
        while offset < bytes.count {
            let n: Int
            do {
                n = try socket.sendSome(bytes, from: offset)
            } catch ClientSocket.Failure.closed {
                return true
            }
            if n > 0 {
                offset += n
                continue
            }
            let now = Socket.monotonicNanoseconds()
            guard now < deadline else { throw ClientSocket.Failure.timedOut }
            var descriptor = pollfd(fd: socket.fd, events: Int16(POLLOUT | POLLIN), revents: 0)
            let milliseconds = Int32(min(UInt64(Int32.max), (deadline - now + 999_999) / 1_000_000))
            if poll(&descriptor, 1, milliseconds) > 0, descriptor.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                return true
            }
        }
        return false
    }

    /// Reads the whole response.
    func receiveResponse() throws -> HTTPClientResponse {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let n: Int
            do {
                n = try socket.receive(into: buffer, deadline: deadline)
            } catch ClientSocket.Failure.closed where parser.receivedAnyBytes {
                n = 0
            }
            if n == 0 {
                try parser.endOfInput()
                break
            }
            if try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) { break }
        }
        return HTTPClientResponse(status: parser.status, headers: parser.headers, body: parser.body)
    }

    /// Reads until the response's head is complete (a streamed response's body follows with
    /// `receiveBodyPiece`); false when the server closed before sending any byte.
    func receiveHead() throws -> Bool {
        while !parser.hasHead {
            let n: Int
            do {
                n = try socket.receive(into: buffer(), deadline: deadline)
            } catch ClientSocket.Failure.closed where !parser.receivedAnyBytes {
                return false
            }
            if n == 0 {
                guard parser.receivedAnyBytes else { return false }
                try parser.endOfInput()
                break
            }
            _ = try parser.feed(UnsafeRawBufferPointer(rebasing: buffer()[0..<n]))
        }
        return true
    }

    var status: HTTPStatus { parser.status }
    var headers: HTTPHeaders { parser.headers }

    /// A streamed response's next piece of body (what the socket holds, waiting for some when
    /// it holds none, up to the receive buffer's size), nil at its end, when the connection
    /// goes back to the pool. Large pieces keep the hand-offs between threads few.
    func receiveBodyPiece() throws -> [UInt8]? {
        let buffer = buffer()
        while true {
            let piece = parser.takeBody()
            if !piece.isEmpty { return piece }
            if parser.isComplete {
                finish(reusable: true)
                return nil
            }
            var filled: Int
            do {
                filled = try socket.receive(into: buffer, deadline: deadline)
            } catch ClientSocket.Failure.closed where parser.receivedAnyBytes {
                filled = 0
            }
            // What else the socket holds now, without waiting (an end or a failure shows on
            // the next receive).
            while filled > 0, filled < buffer.count,
                  let more = try? socket.receiveSome(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])), more > 0 {
                filled += more
            }
            if filled == 0 {
                try parser.endOfInput()
                continue
            }
            _ = try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<filled]))
        }
    }

    /// One receive's worth: large, so a download costs few thread hand-offs.
    private func buffer() -> UnsafeMutableRawBufferPointer {
        if let receiveBuffer { return receiveBuffer }
        let allocated = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 1)
        receiveBuffer = allocated
        return allocated
    }

    /// Returns the connection to the pool when the exchange completed cleanly, else closes it.
    func finish(reusable: Bool) {
        guard !released else { return }
        released = true
        if reusable, parser.isComplete, parser.keepAlive {
            client.pool.release(key, socket)
        } else {
            socket.close()
            client.pool.release(key, nil)
        }
    }

    /// Whether the server sent something (or closed) before the body was complete.
    private static func hasInput(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0 && descriptor.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0
    }
}
