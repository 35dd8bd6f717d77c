import Coordination
import Errors
import Foundation
import TLS

/// A small HTTP/1.1 client: plain http between internal services, and https (verified
/// through `HTTPClientConfiguration.tls`) to systems outside Clientele such as a company's CRM.
///
/// Keeps a keep-alive pool per host:port. Called from a task running on an HTTP server's
/// event loop (`RouteOptions.runsOnEventLoop`) with an idle keep-alive connection at hand,
/// the call sends and receives without blocking and waits for the socket on that loop: no
/// thread hand-off. Otherwise the blocking socket work (connecting, waiting for a free
/// connection) runs on the client's own threads, so `execute` never blocks Swift's
/// cooperative pool. Retries only idempotent requests (`HTTPClientRequest.isRetryable`), and
/// only when the request provably did not reach a server: the connect failed, or a reused
/// keep-alive connection closed before any response byte. Cancelling the
/// calling task does not interrupt a call; `requestTimeout` bounds it.
///
/// Errors are `ClienteleError`: `.invalidArgument` for a bad URL, `.deadlineExceeded` on
/// timeout, `.unavailable` when the server cannot be reached or answers malformed HTTP.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    let pool: HTTPConnectionPool
    let workers: BlockingWorkers
    let resolver = HostResolver()

    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        self.configuration = configuration
        pool = HTTPConnectionPool(maxPerHost: configuration.maxConnectionsPerHost,
                                  maxIdlePerHost: configuration.maxIdlePerHost)
        workers = BlockingWorkers(name: "http-client", maxThreads: max(4, configuration.maxConnectionsPerHost * 2))
    }

    deinit {
        pool.shutdown()
        workers.stop()
    }

    /// Sends `request` and returns the complete response (any status).
    public func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        var retrying = false
        if let loop = EventLoop.current {
            switch await executeOnLoop(request, loop: loop) {
            case .done(let result): return try result.get()
            case .notHandled: break
            case .retry: retrying = true
            }
        }
        let attemptsMade = retrying ? 1 : 0
        return try await workers.run { [self] in try perform(request, attemptsMade: attemptsMade) }
    }

    /// Closes pooled connections; later calls fail with `.unavailable`.
    public func shutdown() {
        pool.shutdown()
        workers.stop()
    }

    /// Parts of an `http://` or `https://` URL.
    struct Target {
        var host: String
        var port: Int
        var requestTarget: String
        var isSecure: Bool

        /// Parses `url` byte-wise (it runs for every upstream request: `String`'s
        /// character-level operations here showed in the gateway's CPU per proxied GET;
        /// measured: docs/performance.md, design measurements).
        init(url: String) throws {
            let bytes = url.utf8
            // Letters compare case-insensitively; ':' and '/' are unchanged by the 0x20 bit.
            func starts(with scheme: String.UTF8View) -> Bool {
                bytes.count >= scheme.count && zip(bytes.prefix(scheme.count), scheme).allSatisfy({ $0 | 0x20 == $1 })
            }
            let schemeLength: Int
            if starts(with: "http://".utf8) {
                (schemeLength, isSecure) = (7, false)
            } else if starts(with: "https://".utf8) {
                (schemeLength, isSecure) = (8, true)
            } else {
                throw ClienteleError(.invalidArgument, "Only http:// and https:// URLs are supported")
            }
            let rest = bytes.dropFirst(schemeLength)
            let slash = rest.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) ?? rest.endIndex
            let authority = rest[..<slash]
            var pathBytes = rest[slash...]
            if let hash = pathBytes.firstIndex(of: UInt8(ascii: "#")) { pathBytes = pathBytes[..<hash] }
            guard !authority.isEmpty, !authority.contains(UInt8(ascii: "@")),
                  pathBytes.allSatisfy({ $0 > 32 && $0 < 127 }) else {
                throw ClienteleError(.invalidArgument, "Malformed URL")
            }
            var path = String(decoding: pathBytes, as: UTF8.self)
            if path.isEmpty { path = "/" } else if pathBytes.first == UInt8(ascii: "?") { path = "/" + path }
            var hostBytes = authority
            var port = isSecure ? 443 : 80
            if authority.first == UInt8(ascii: "[") {
                guard let close = authority.firstIndex(of: UInt8(ascii: "]")) else {
                    throw ClienteleError(.invalidArgument, "Malformed URL")
                }
                hostBytes = authority[authority.index(after: authority.startIndex)..<close]
                let after = authority[authority.index(after: close)...]
                if after.first == UInt8(ascii: ":") {
                    guard let p = Self.port(after.dropFirst()) else { throw ClienteleError(.invalidArgument, "Malformed URL port") }
                    port = p
                } else if !after.isEmpty {
                    throw ClienteleError(.invalidArgument, "Malformed URL")
                }
            } else if let colon = authority.lastIndex(of: UInt8(ascii: ":")) {
                hostBytes = authority[..<colon]
                guard let p = Self.port(authority[authority.index(after: colon)...]) else {
                    throw ClienteleError(.invalidArgument, "Malformed URL port")
                }
                port = p
            }
            guard (1...65535).contains(port), !hostBytes.isEmpty else { throw ClienteleError(.invalidArgument, "Malformed URL") }
            self.host = String(decoding: hostBytes, as: UTF8.self)
            self.port = port
            self.requestTarget = path
        }

        /// A decimal port of at most five digits.
        private static func port(_ digits: Substring.UTF8View) -> Int? {
            guard !digits.isEmpty, digits.count <= 5 else { return nil }
            var value = 0
            for digit in digits {
                guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(digit - UInt8(ascii: "0"))
            }
            return value
        }

        var hostHeader: String {
            let name = host.contains(":") ? "[\(host)]" : host
            return port == (isSecure ? 443 : 80) ? name : "\(name):\(port)"
        }
    }

    /// The address a request connects to and the pool it uses: the caller's numeric
    /// `connectAddress`, or the URL's host resolved; TLS for an https URL.
    func destination(of request: HTTPClientRequest, target: Target) throws -> (Socket.Address, HTTPConnectionPool.Key) {
        let address: Socket.Address
        if let connectAddress = request.connectAddress {
            guard let numeric = Socket.Address(host: connectAddress, port: target.port) else {
                throw ClienteleError(.invalidArgument, "The address to connect to must be numeric")
            }
            address = numeric
        } else {
            guard let resolved = resolver.address(host: target.host, port: target.port) else {
                throw ClienteleError(.unavailable, "Cannot resolve the host", context: ["host": target.host])
            }
            address = resolved
        }
        var tls: HTTPConnectionPool.Key.Security?
        if target.isSecure {
            guard let context = configuration.tls else {
                throw ClienteleError(.invalidArgument, "This client has no TLS configuration for https:// URLs")
            }
            tls = .init(context: context, serverName: target.host)
        }
        return (address, HTTPConnectionPool.Key(host: target.host, port: target.port, connectAddress: request.connectAddress, tls: tls))
    }

    private enum AttemptFailure: Error {
        /// Nothing reached a server, or a reused connection died before any response byte.
        case notProcessed(reused: Bool, underlying: any Error)
        case failed(any Error)
    }

    private func perform(_ request: HTTPClientRequest, attemptsMade: Int) throws -> HTTPClientResponse {
        let target = try Target(url: request.url)
        let (address, key) = try destination(of: request, target: target)
        let start = Socket.monotonicNanoseconds()
        let deadline = start &+ configuration.requestTimeout.clampedNanoseconds
        let wire = serialize(request, target: target)
        var attempt = attemptsMade
        while true {
            do {
                return try attemptOnce(request, wire: wire, key: key, address: address, deadline: deadline)
            } catch AttemptFailure.notProcessed(_, let underlying) {
                attempt += 1
                guard request.isRetryable, attempt <= configuration.retries,
                      Socket.monotonicNanoseconds() < deadline else {
                    throw clienteleError(underlying, target: target)
                }
            } catch AttemptFailure.failed(let underlying) {
                throw clienteleError(underlying, target: target)
            }
        }
    }

    private func attemptOnce(_ request: HTTPClientRequest, wire: [UInt8], key: HTTPConnectionPool.Key,
                             address: Socket.Address, deadline: UInt64) throws(AttemptFailure) -> HTTPClientResponse {
        let socket: ClientSocket
        let reused: Bool
        do {
            let connectDeadline = Socket.monotonicNanoseconds() &+ configuration.connectTimeout.clampedNanoseconds
            (socket, reused) = try pool.acquire(key, address: address, connectDeadline: connectDeadline, deadline: deadline)
        } catch ClientSocket.Failure.connectFailed(let code) {
            throw .notProcessed(reused: false, underlying: ClientSocket.Failure.connectFailed(code))
        } catch {
            throw .failed(error)
        }
        var parser = HTTPResponseParser(isHeadRequest: request.method == .HEAD)
        do {
            do {
                try socket.send(wire, deadline: deadline)
            } catch ClientSocket.Failure.closed where reused {
                throw AttemptFailure.notProcessed(reused: true, underlying: ClientSocket.Failure.closed)
            }
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
            defer { buffer.deallocate() }
            while true {
                let n: Int
                do {
                    n = try socket.receive(into: buffer, deadline: deadline)
                } catch ClientSocket.Failure.closed where reused && !parser.receivedAnyBytes {
                    throw AttemptFailure.notProcessed(reused: true, underlying: ClientSocket.Failure.closed)
                }
                if try Self.take(n, of: buffer, into: &parser, reused: reused) { break }
            }
        } catch {
            throw abandon(socket, key: key, error)
        }
        return finish(request, parser: parser, socket: socket, key: key)
    }

    // MARK: On an event loop

    private enum LoopOutcome {
        /// Not for the loop (no idle connection, an unresolved name): use the worker threads.
        case notHandled
        /// The reused connection closed before any answer; an idempotent request may retry.
        case retry
        case done(Result<HTTPClientResponse, ClienteleError>)
    }

    /// One attempt on an idle pooled connection, waiting for the socket on `loop`.
    private func executeOnLoop(_ request: HTTPClientRequest, loop: EventLoop) async -> LoopOutcome {
        guard request.connectAddress == nil, let target = try? Target(url: request.url), !target.isSecure,
              resolver.knownAddress(host: target.host, port: target.port) != nil else { return .notHandled }
        let key = HTTPConnectionPool.Key(host: target.host, port: target.port, connectAddress: nil, tls: nil)
        guard let socket = pool.acquireIdle(key) else { return .notHandled }
        let deadline = Socket.monotonicNanoseconds() &+ configuration.requestTimeout.clampedNanoseconds
        do {
            return .done(.success(try await exchangeOnLoop(request, wire: serialize(request, target: target), socket: socket,
                                                           key: key, loop: loop, deadline: deadline)))
        } catch {
            switch error {
            case .notProcessed(_, let underlying):
                guard request.isRetryable, configuration.retries >= 1, Socket.monotonicNanoseconds() < deadline else {
                    return .done(.failure(clienteleError(underlying, target: target)))
                }
                return .retry
            case .failed(let underlying):
                return .done(.failure(clienteleError(underlying, target: target)))
            }
        }
    }

    /// Sends `wire` on the leased, reused `socket` and reads the response, never blocking the
    /// loop's thread: the task waits on `loop` whenever the socket is not ready.
    private func exchangeOnLoop(_ request: HTTPClientRequest, wire: [UInt8], socket: ClientSocket,
                                key: HTTPConnectionPool.Key, loop: EventLoop,
                                deadline: UInt64) async throws(AttemptFailure) -> HTTPClientResponse {
        var parser = HTTPResponseParser(isHeadRequest: request.method == .HEAD)
        /// Waits on the loop; after it the task must still be on the loop (it owns the buffer).
        func wait(_ readiness: EventLoop.Readiness) async throws {
            guard await loop.waitUntilReady(fd: socket.fd, readiness, deadline: deadline),
                  EventLoop.current === loop else { throw ClientSocket.Failure.timedOut }
        }
        do {
            var offset = 0
            while offset < wire.count {
                let n: Int
                do {
                    n = try socket.sendSome(wire, from: offset)
                } catch ClientSocket.Failure.closed {
                    throw AttemptFailure.notProcessed(reused: true, underlying: ClientSocket.Failure.closed)
                }
                if n > 0 { offset += n } else { try await wait(.writable) }
            }
            // The loop's scratch buffer: used only between waits, on the loop's thread.
            let buffer = loop.readBuffer
            while true {
                let received: Int?
                do {
                    received = try socket.receiveSome(into: buffer)
                } catch ClientSocket.Failure.closed where !parser.receivedAnyBytes {
                    throw AttemptFailure.notProcessed(reused: true, underlying: ClientSocket.Failure.closed)
                }
                guard let n = received else {
                    try await wait(.readable)
                    continue
                }
                if try Self.take(n, of: buffer, into: &parser, reused: true) { break }
            }
        } catch {
            throw abandon(socket, key: key, error)
        }
        return finish(request, parser: parser, socket: socket, key: key)
    }

    /// Hands `n` received bytes to `parser` (0: the server closed); true once the response is
    /// complete. A reused connection closed before any answer byte was not processed, so an
    /// idempotent request may be retried.
    private static func take(_ n: Int, of buffer: UnsafeMutableRawBufferPointer, into parser: inout HTTPResponseParser,
                             reused: Bool) throws -> Bool {
        if n == 0 {
            if reused, !parser.receivedAnyBytes {
                throw AttemptFailure.notProcessed(reused: true, underlying: ClientSocket.Failure.closed)
            }
            try parser.endOfInput()
            return true
        }
        return try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
    }

    /// Closes a socket an exchange failed on, frees its pool place, and says how it failed.
    private func abandon(_ socket: ClientSocket, key: HTTPConnectionPool.Key, _ error: any Error) -> AttemptFailure {
        socket.close()
        pool.release(key, nil)
        return error as? AttemptFailure ?? .failed(error)
    }

    /// Returns the socket to the pool when the exchange left it reusable; builds the response.
    private func finish(_ request: HTTPClientRequest, parser: HTTPResponseParser, socket: ClientSocket,
                        key: HTTPConnectionPool.Key) -> HTTPClientResponse {
        let reusable = parser.isComplete && parser.keepAlive && !request.headers.containsToken("close", in: "Connection")
        if reusable {
            pool.release(key, socket)
        } else {
            socket.close()
            pool.release(key, nil)
        }
        return HTTPClientResponse(status: parser.status, headers: parser.headers, body: parser.body)
    }

    private func serialize(_ request: HTTPClientRequest, target: Target) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + request.body.count)
        out.append(contentsOf: "\(request.method.rawValue) \(target.requestTarget) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n".utf8)
        for field in request.headers {
            guard HTTPConnection.isValidFieldName(field.name), HTTPConnection.isValidFieldValue(field.value) else { continue }
            let name = field.name.lowercased()
            if name == "host" || name == "content-length" || name == "transfer-encoding" { continue }
            out.append(contentsOf: "\(field.name): \(field.value)\r\n".utf8)
        }
        if !request.body.isEmpty || request.method.requiresBodyFraming {
            out.append(contentsOf: "Content-Length: \(request.body.count)\r\n".utf8)
        }
        out.append(contentsOf: [13, 10])
        out.append(contentsOf: request.body)
        return out
    }

    /// The message of a call that failed in TLS (its `internalDetail` says why: a certificate
    /// not trusted or not for the host, a failed handshake).
    public static let tlsFailureMessage = "Upstream TLS failed"

    func clienteleError(_ error: any Error, target: Target) -> ClienteleError {
        let upstream = "\(target.host):\(target.port)"
        switch error {
        case let error as ClienteleError:
            return error
        case ClientSocket.Failure.timedOut:
            return ClienteleError(.deadlineExceeded, "Upstream request timed out", internalDetail: upstream)
        case ClientSocket.Failure.connectFailed(let code):
            return ClienteleError(.unavailable, "Upstream unavailable",
                                  internalDetail: "connect to \(upstream) failed: errno \(code)")
        case ClientSocket.Failure.tls(let reason):
            return ClienteleError(.unavailable, Self.tlsFailureMessage, internalDetail: "\(upstream): \(reason)")
        case let error as HTTPParseError:
            return ClienteleError(.unavailable, "Upstream sent a malformed response",
                                  internalDetail: "\(upstream): \(error.reason)")
        default:
            return ClienteleError(.unavailable, "Upstream connection failed", internalDetail: "\(upstream): \(error)")
        }
    }
}
