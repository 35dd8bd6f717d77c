#if canImport(Glibc)
import Glibc
#endif
import Foundation
import CLinuxIO

/// One accepted socket: parses requests, runs handlers in order, writes responses.
///
/// Requests are answered strictly in order (pipelining): while the current request waits
/// for an async handler, later requests stay in the parser's bounded buffer. Inline
/// handlers run right here, so pipelined inline requests are answered in one write.
/// Unsent output is bounded by `OutputBackpressure`: a client that does not read its answers
/// is not read either, and is closed when it has taken nothing for the idle timeout.
final class HTTPConnection: @unchecked Sendable {
    // @unchecked Sendable: every property is read and written only on `loop`'s thread.
    // Handler tasks hold a reference solely to send it back through `loop.execute`.

    /// The request being received or answered.
    private struct Exchange {
        var head: HTTPRequestHead
        var request: HTTPRequest
        var entry: RouteTable.Entry?
        /// A response decided without a handler (404, 405, bad path).
        var earlyResponse: HTTPResponse?
        var body: [UInt8] = []
        var stream: HTTPBodyStream?
        var bodyComplete = false
        var startedAt: UInt64
    }

    let fd: Int32
    let loop: EventLoop
    let remoteAddress: String
    private var parser: HTTPRequestParser
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var backpressure: OutputBackpressure
    private var exchange: Exchange?
    private var requestID = 0
    private var awaitingResponse = false
    /// A streamed body's consumer has enough buffered; stop parsing and reading.
    private var streamPaused = false
    private var inputClosed = false
    private var closeAfterWrite = false
    /// Output is shut down; reading and discarding input until the peer closes.
    private var lingering = false
    private var lingerDeadline: UInt64 = 0
    private(set) var isClosed = false
    private var registeredEvents: UInt32 = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
    private var headStartedAt: UInt64 = 0
    /// When the peer last showed it is there: took output, or sent input while no output
    /// waited (see `noteInput()`); the idle timeout counts from here.
    private var lastActivity: UInt64
    /// The streamed response being sent (`HTTPStreamedBody`); no other request starts meanwhile.
    private var streaming: Streaming?

    private struct Streaming {
        var id: Int
        var request: HTTPRequest
        var status: HTTPStatus
        var startedAt: UInt64
        /// The body's announced `Content-Length`, nil when chunked.
        var length: Int?
        /// Bytes written so far (checked against `length`).
        var sent = 0
        /// The producer's write waiting for the peer to take output.
        var waiting: CheckedContinuation<Bool, Never>?
    }

    init(fd: Int32, loop: EventLoop, remoteAddress: String) {
        self.fd = fd
        self.loop = loop
        self.remoteAddress = remoteAddress
        self.parser = HTTPRequestParser(limits: loop.context.parserLimits)
        self.backpressure = OutputBackpressure(limit: loop.context.maxPendingOutputBytes)
        self.lastActivity = loop.now
    }

    // MARK: Events

    func handle(events: UInt32) {
        if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
            close()
            return
        }
        if events & EPOLLOUT.rawValue != 0 {
            // The peer took enough of a held connection's output: go on with what it sent.
            if flush() { process() }
            if isClosed { return }
        }
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 {
            readAvailable()
        }
        if !isClosed { updateInterest() }
    }

    private func readAvailable() {
        let buffer = loop.readBuffer
        let n = read(fd, buffer.baseAddress, buffer.count)
        if n > 0 {
            noteInput()
            if lingering { return }
            if exchange == nil, headStartedAt == 0 { headStartedAt = loop.now }
            parser.feed(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        } else if n == 0 {
            if lingering {
                close()
                return
            }
            inputClosed = true
        } else {
            if errno == EAGAIN || errno == EINTR { return }
            close()
            return
        }
        process()
    }

    /// Turns buffered bytes into requests until blocked, then writes what is ready.
    ///
    /// Stops early while too much output waits (`backpressure`); goes on at once if the write
    /// that follows drains it.
    private func process() {
        repeat {
            while !isClosed, !closeAfterWrite, !streamPaused, streaming == nil, !(exchange?.bodyComplete ?? false),
                  backpressure.mayProceed(pending: output.count - outputOffset) {
                let event: HTTPRequestParser.Event?
                do {
                    event = try parser.next()
                } catch {
                    protocolError(error.httpError)
                    break
                }
                guard let event else { break }
                switch event {
                case .head(let head): begin(head)
                case .body(let bytes): receive(bytes)
                case .end: endOfBody()
                }
            }
            if inputClosed, !streamPaused, !backpressure.isHolding, !isClosed, streaming == nil {
                // The peer sends nothing more: answer complete requests, then close.
                if let stream = exchange?.stream, exchange?.bodyComplete == false {
                    stream.fail(HTTPError(status: .badRequest, message: "Request body truncated"))
                }
                if exchange?.bodyComplete != true { closeAfterWrite = true }
            }
        } while flush()
    }

    /// Input counts as activity only while none of our output waits: a peer that sends
    /// requests and never reads the answers still reaches the idle timeout.
    private func noteInput() {
        if outputOffset == output.count { lastActivity = loop.now }
    }

    private func begin(_ head: HTTPRequestHead) {
        requestID &+= 1
        headStartedAt = 0
        let (rawPath, query) = HTTPRequest.split(target: head.target)
        var request = HTTPRequest(method: head.method, target: head.target, path: "", query: query.map(String.init),
                                  headers: head.headers, version: head.version, remoteAddress: remoteAddress)
        var exchange = Exchange(head: head, request: request, startedAt: loop.now)
        switch loop.context.routes.match(head.method, rawPath: rawPath) {
        case .found(let entry, let parameters):
            request.path = PercentEncoding.decode(rawPath) ?? String(rawPath)
            request.pathParameters = parameters
            request.route = entry.pattern
            exchange.entry = entry
            let limit = entry.options.maxBodyBytes
            parser.limitBody(to: limit)
            var fits = true
            if case .contentLength(let length) = head.framing { fits = length <= limit }
            if head.expectsContinue, fits, !loop.isShuttingDown {
                output.append(contentsOf: HTTPConnection.continueBytes)
            }
            // An oversized Content-Length is answered 413 by the parser before any handler runs.
            if entry.options.streamsBody, fits, head.framing != .none, case .async(let handler) = entry.handler {
                let id = requestID
                let stream = HTTPBodyStream { [loop, self] in
                    loop.execute { self.resumeStream(id: id) }
                }
                request.body = HTTPRequestBody(stream: stream)
                exchange.stream = stream
                exchange.request = request
                self.exchange = exchange
                dispatch(handler, request, onLoop: entry.options.runsOnEventLoop)
                return
            }
        case .methodNotAllowed(let allowed):
            exchange.earlyResponse = Router.methodNotAllowedResponse(allowed)
        case .notFound:
            request.path = PercentEncoding.decode(rawPath) ?? String(rawPath)
            exchange.earlyResponse = Router.notFoundResponse
        case .badPath:
            exchange.earlyResponse = HTTPResponse(error: HTTPError(status: .badRequest, message: "Malformed percent-encoding in path"))
        }
        exchange.request = request
        self.exchange = exchange
        if let early = exchange.earlyResponse, head.framing != .none {
            // Do not read a body nobody wants: answer now and close afterwards.
            closeAfterWrite = true
            respond(early)
        }
    }

    private func receive(_ bytes: [UInt8]) {
        guard var exchange else { return }
        if let stream = exchange.stream {
            noteInput()
            if !stream.append(bytes) { streamPaused = true }
            return
        }
        self.exchange = nil
        exchange.body.append(contentsOf: bytes)
        self.exchange = exchange
    }

    private func endOfBody() {
        guard var exchange else { return }
        exchange.bodyComplete = true
        if let stream = exchange.stream {
            self.exchange = exchange
            stream.finish()
            return
        }
        if let early = exchange.earlyResponse {
            self.exchange = exchange
            respond(early)
            return
        }
        guard let entry = exchange.entry else { return }
        if !exchange.body.isEmpty {
            exchange.request.body = HTTPRequestBody(bytes: exchange.body)
            exchange.body = []
        }
        self.exchange = exchange
        switch entry.handler {
        case .inline(let handler):
            respond(handler(exchange.request))
        case .async(let handler):
            dispatch(handler, exchange.request, onLoop: entry.options.runsOnEventLoop)
        }
    }

    /// Runs an async handler in Swift concurrency and brings its response back to the loop.
    ///
    /// This is the one place the server creates an unstructured task: the event loop is a
    /// plain thread, and each request's handler needs its own task to run concurrently. With
    /// `onLoop` the task prefers the loop as its executor (`RouteOptions.runsOnEventLoop`).
    private func dispatch(_ handler: @escaping HTTPHandler, _ request: HTTPRequest, onLoop: Bool) {
        awaitingResponse = true
        let id = requestID
        let loop = self.loop
        let errorResponse = loop.context.errorResponse
        let operation: @Sendable () async -> Void = {
            let response: HTTPResponse
            do {
                response = try await handler(request)
            } catch {
                response = errorResponse(error)
            }
            loop.execute { self.handlerCompleted(response, id: id) }
        }
        if onLoop {
            Task(executorPreference: loop, operation: operation)
        } else {
            Task(operation: operation)
        }
    }

    private func handlerCompleted(_ response: HTTPResponse, id: Int) {
        guard !isClosed, awaitingResponse, id == requestID else { return }
        awaitingResponse = false
        if let exchange, exchange.stream != nil, !exchange.bodyComplete {
            // Answered before reading the whole body: drop the rest with the connection.
            exchange.stream?.abandon()
            streamPaused = false
            closeAfterWrite = true
        }
        respond(response)
        process()
        if !isClosed { updateInterest() }
    }

    private func resumeStream(id: Int) {
        guard !isClosed, id == requestID, streamPaused else { return }
        streamPaused = false
        noteInput()
        process()
        if !isClosed { updateInterest() }
    }

    /// Answers a request the parser rejected; the connection cannot continue.
    private func protocolError(_ error: HTTPError) {
        closeAfterWrite = true
        if let exchange, let stream = exchange.stream {
            // The streaming handler reports the failure in its own response.
            stream.fail(error)
            return
        }
        exchange = nil
        var response = loop.context.errorResponse(error)
        response.headers.replaceOrAdd(name: "Connection", value: "close")
        HTTPConnection.serialize(response, isHead: false, close: true, keepAliveHeader: false, into: &output)
    }

    /// Queues the response to the current exchange and finishes it.
    private func respond(_ response: HTTPResponse) {
        guard let exchange else { return }
        self.exchange = nil
        awaitingResponse = false
        let head = exchange.head
        var close = closeAfterWrite || !head.keepAlive || loop.isShuttingDown
        if !close, response.headers.containsToken("close", in: "Connection") { close = true }
        if close { closeAfterWrite = true }
        // The peer's time to take the answer starts now, unless earlier answers still wait.
        if outputOffset == output.count { lastActivity = loop.now }
        if let streamed = response.streamedBody, head.method != .HEAD, HTTPConnection.hasBody(response.status) {
            HTTPConnection.serialize(response, isHead: false, close: close, keepAliveHeader: head.version == .http1_0,
                                     chunked: streamed.length == nil, into: &output)
            startStream(streamed, exchange: exchange, status: response.status)
            return
        }
        HTTPConnection.serialize(response, isHead: head.method == .HEAD, close: close,
                                 keepAliveHeader: head.version == .http1_0, into: &output)
        headStartedAt = parser.bufferedByteCount > 0 ? loop.now : 0
        if let observer = loop.context.observer {
            let elapsed = loop.now &- exchange.startedAt
            observer.requestCompleted(exchange.request, status: response.status,
                                      duration: .nanoseconds(Int64(truncatingIfNeeded: elapsed)))
        }
    }

    // MARK: Streamed responses

    /// Runs `streamed`'s producer in its own task (the second place the server creates one:
    /// the producer awaits the connection's backpressure, so it cannot run on the loop), its
    /// chunks and its end brought back to the loop.
    private func startStream(_ streamed: HTTPStreamedBody, exchange: Exchange, status: HTTPStatus) {
        let id = requestID
        streaming = Streaming(id: id, request: exchange.request, status: status, startedAt: exchange.startedAt,
                              length: streamed.length)
        let loop = self.loop
        let writer = HTTPBodyWriter { bytes, continuation in
            loop.execute { self.streamChunk(bytes, id: id, continuation) }
        }
        Task {
            let failed: Bool
            do {
                try await streamed.produce(writer)
                failed = false
            } catch {
                failed = true
            }
            loop.execute { self.endStream(id: id, failed: failed) }
        }
    }

    private func streamChunk(_ bytes: [UInt8], id: Int, _ continuation: CheckedContinuation<Bool, Never>) {
        guard !isClosed, let stream = streaming, stream.id == id else {
            continuation.resume(returning: false)
            return
        }
        if let length = stream.length {
            // More than announced would be read as the next response: end the connection.
            guard bytes.count <= length - stream.sent else {
                continuation.resume(returning: false)
                close()
                return
            }
            streaming?.sent += bytes.count
            output.append(contentsOf: bytes)
        } else {
            output.append(contentsOf: String(bytes.count, radix: 16).utf8)
            output.append(contentsOf: [13, 10])
            output.append(contentsOf: bytes)
            output.append(contentsOf: [13, 10])
        }
        flush()
        if isClosed {
            continuation.resume(returning: false)
            return
        }
        if output.count - outputOffset > backpressure.limit {
            streaming?.waiting = continuation
        } else {
            continuation.resume(returning: true)
        }
        updateInterest()
    }

    /// The producer is done: the last chunk ends the response (or, when it failed, the
    /// connection closes without it), and the requests that waited go on.
    private func endStream(id: Int, failed: Bool) {
        guard !isClosed, let stream = streaming, stream.id == id else { return }
        streaming = nil
        // A failed producer, or one that wrote less than it announced: the client must see a
        // truncated body, never a complete-looking one.
        if failed || stream.length.map({ $0 != stream.sent }) ?? false {
            close()
            return
        }
        if stream.length == nil { output.append(contentsOf: "0\r\n\r\n".utf8) }
        headStartedAt = parser.bufferedByteCount > 0 ? loop.now : 0
        if let observer = loop.context.observer {
            let elapsed = loop.now &- stream.startedAt
            observer.requestCompleted(stream.request, status: stream.status, duration: .nanoseconds(Int64(truncatingIfNeeded: elapsed)))
        }
        process()
        if !isClosed { updateInterest() }
    }

    // MARK: Output

    /// Writes queued output until it is all sent or the socket is full; true when this ends
    /// a backpressure hold, so the caller goes on with the requests already received.
    @discardableResult
    private func flush() -> Bool {
        writing: while outputOffset < output.count {
            let written = output.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return 0 }
                return send(fd, base + outputOffset, bytes.count - outputOffset, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                outputOffset += written
                lastActivity = loop.now
            } else if written < 0, errno == EINTR {
                continue
            } else if written < 0, errno == EAGAIN {
                break writing
            } else {
                close()
                return false
            }
        }
        let pending = output.count - outputOffset
        if let waiting = streaming?.waiting, pending <= backpressure.resumeAt {
            streaming?.waiting = nil
            waiting.resume(returning: true)
        }
        if pending == 0 {
            if outputOffset > 0 {
                output.removeAll(keepingCapacity: output.capacity <= 256 * 1024)
                outputOffset = 0
            }
            if closeAfterWrite, !awaitingResponse, streaming == nil, !lingering {
                startLingering()
                if isClosed { return false }
            }
        } else if outputOffset >= pending {
            // A slow reader never drains to zero: drop what was sent once it outweighs what
            // waits, so the buffer stays near the backpressure limit instead of growing with
            // everything sent since the reader last caught up.
            output.removeSubrange(0..<outputOffset)
            outputOffset = 0
        }
        return backpressure.drained(pending: pending)
    }

    /// Half-closes after the last response and discards input for a moment, so that a
    /// client still sending does not get a reset that destroys the response in flight.
    private func startLingering() {
        lingering = true
        shutdown(fd, Int32(SHUT_WR))
        // Short while shutting down, so lingering never delays `run()` much.
        lingerDeadline = loop.now &+ (loop.isShuttingDown ? 100_000_000 : 1_000_000_000)
        exchange?.stream?.fail(HTTPError(status: .badRequest, message: "Connection closed"))
        exchange = nil
        streamPaused = false
        if inputClosed { close() }
    }

    private func updateInterest() {
        var events: UInt32 = 0
        let bufferBound = loop.context.parserLimits.maxHeaderBytes + loop.context.parserLimits.maxRequestTargetBytes + 64 * 1024
        if lingering || (!inputClosed && !streamPaused && !closeAfterWrite && !backpressure.isHolding
                         && parser.bufferedByteCount < bufferBound) {
            events |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        }
        if outputOffset < output.count { events |= EPOLLOUT.rawValue }
        if events != registeredEvents {
            registeredEvents = events
            loop.updateInterest(fd: fd, events: events)
        }
    }

    // MARK: Lifecycle

    func checkTimeouts(now: UInt64) {
        guard !isClosed else { return }
        let context = loop.context
        if lingering {
            if now >= lingerDeadline { close() }
        } else if outputOffset < output.count {
            if now &- lastActivity > context.idleTimeout { close() }
        } else if let exchange {
            guard !exchange.bodyComplete, !streamPaused, !closeAfterWrite else { return }
            if now &- lastActivity > context.headerTimeout || now &- exchange.startedAt > context.requestTimeout {
                timedOut()
            }
        } else if awaitingResponse || streaming != nil {
            return
        } else if headStartedAt != 0 {
            if now &- headStartedAt > context.headerTimeout { timedOut() }
        } else if now &- lastActivity > context.idleTimeout || (loop.isShuttingDown && parser.bufferedByteCount == 0) {
            close()
        }
    }

    private func timedOut() {
        let error = HTTPError(status: .requestTimeout, message: "Request not received in time")
        if let stream = exchange?.stream {
            closeAfterWrite = true
            stream.fail(error)
        } else {
            protocolError(error)
        }
        flush()
        if !isClosed { updateInterest() }
    }

    func shutdownRequested() {
        guard !isClosed else { return }
        if lingering {
            lingerDeadline = min(lingerDeadline, loop.now &+ 100_000_000)
            return
        }
        if exchange == nil, !awaitingResponse, streaming == nil, parser.bufferedByteCount == 0, outputOffset == output.count {
            close()
        }
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        streaming?.waiting?.resume(returning: false)
        streaming = nil
        exchange?.stream?.fail(HTTPError(status: .badRequest, message: "Connection closed"))
        exchange = nil
        Glibc.close(fd)
        loop.connectionClosed(fd: fd)
    }

    // MARK: Serialisation

    static let continueBytes: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Appends a response in HTTP/1.1 wire format with Content-Length and Connection.
    ///
    /// Caller fields named Content-Length, Transfer-Encoding or Connection are replaced;
    /// fields with a non-token name or a CR, LF or NUL in the value are dropped. With
    /// `chunked`, the head only, announcing `Transfer-Encoding: chunked` (the chunks follow).
    static func serialize(_ response: HTTPResponse, isHead: Bool, close: Bool, keepAliveHeader: Bool, chunked: Bool = false,
                          into out: inout [UInt8]) {
        let code = min(999, max(100, response.status.code))
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(code, to: &out)
        out.append(32)
        for byte in response.status.reasonPhrase.utf8 where byte >= 32 && byte != 127 { out.append(byte) }
        out.append(contentsOf: [13, 10])
        for field in response.headers {
            guard isValidFieldName(field.name), isValidFieldValue(field.value) else { continue }
            let n = field.name.utf8.count
            if (n == 14 && HTTPHeaders.namesEqual(field.name, "content-length"))
                || (n == 17 && HTTPHeaders.namesEqual(field.name, "transfer-encoding"))
                || (n == 10 && HTTPHeaders.namesEqual(field.name, "connection")) {
                continue
            }
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: [58, 32])
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: [13, 10])
        }
        let hasBody = hasBody(response.status)
        if chunked {
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        } else if hasBody {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(response.streamedBody?.length ?? response.body.count, to: &out)
            out.append(contentsOf: [13, 10])
        }
        if close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if keepAliveHeader {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: [13, 10])
        if hasBody, !isHead, !chunked, response.streamedBody == nil { out.append(contentsOf: response.body) }
    }

    /// Whether a response of `status` has a body (all but 1xx, 204 and 304).
    static func hasBody(_ status: HTTPStatus) -> Bool {
        let code = min(999, max(100, status.code))
        return code != 204 && code != 304 && code >= 200
    }

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        guard value > 0 else {
            out.append(48)
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while v > 0, count < 20 {
                buffer[count] = UInt8(48 + v % 10)
                v /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
        }
    }

    static func isValidFieldName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(isTokenByte)
    }

    static func isValidFieldValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 9 || ($0 >= 32 && $0 != 127) }
    }
}
