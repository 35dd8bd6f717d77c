import Foundation

/// An incremental HTTP/1.x request parser: bytes in, request heads and body chunks out.
///
/// A plain state machine with no I/O: `feed(_:)` appends received bytes, `next()` returns
/// the next event or `nil` when it needs more bytes. Events per request are `.head`, zero or
/// more `.body`, then `.end`; the next request (pipelining) follows. After a `.head` the
/// caller may call `limitBody(to:)` before asking for the body; the default limit comes from
/// `Limits`. Errors are sticky: once `next()` throws, it throws the same error again.
///
/// Strictness (request smuggling defences): lines end in CRLF, bare CR or LF and obs-fold are
/// rejected, Content-Length must be digits and agree across fields, Content-Length together
/// with Transfer-Encoding is rejected, and only `chunked` transfer coding is accepted.
/// Buffers are bounded: the head by the limits, body events by `maxBodyEventBytes`.
public struct HTTPRequestParser: Sendable {
    /// Bounds the parser enforces, each with the status it answers when exceeded.
    public struct Limits: Sendable {
        /// Request-target length (414).
        public var maxRequestTargetBytes = 8 * 1024
        /// Size of the header section after the request line, and of chunked trailers (431).
        public var maxHeaderBytes = 16 * 1024
        /// Number of header fields (431).
        public var maxHeaderCount = 128
        /// Default body size limit until `limitBody(to:)` sets one for a request (413).
        public var maxBodyBytes = 1 << 20
        /// Largest body chunk one `.body` event carries.
        public var maxBodyEventBytes = 64 * 1024
        /// Length of one chunk-size line including extensions (400).
        public var maxChunkLineBytes = 4096

        public init() {}
    }

    /// One step of parsing.
    public enum Event: Sendable {
        case head(HTTPRequestHead)
        case body([UInt8])
        case end
    }

    private enum State: Sendable {
        case head
        case bodyStart(HTTPBodyFraming)
        case fixedBody(remaining: Int)
        case chunkSize(value: Int, digits: Int, lineBytes: Int, inExtension: Bool)
        case chunkSizeLF(size: Int)
        case chunkData(remaining: Int)
        case chunkDataCR
        case chunkDataLF
        case trailers(lineBytes: Int, totalBytes: Int, sawCR: Bool)
        case failed(HTTPParseError)
    }

    public var limits: Limits
    private var state: State = .head
    private var buffer: [UInt8] = []
    private var index = 0
    /// Where the search for the end of the head resumes.
    private var headScanOffset = 0
    /// Progress finding the end of the request line, relative to the request's first byte.
    private var requestLineScanned = 0
    private var requestLineLength = -1
    private var bodyLimit: Int
    private var bodyReceived = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
        self.bodyLimit = limits.maxBodyBytes
    }

    /// Bytes received and not yet turned into events.
    public var bufferedByteCount: Int { buffer.count - index }

    /// Whether the parser is between requests (no partial request consumed).
    public var isAtRequestBoundary: Bool {
        if case .head = state { return true }
        return false
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes.
    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// Sets the body limit for the request whose head was just returned (413 beyond it).
    public mutating func limitBody(to maxBytes: Int) {
        bodyLimit = max(0, maxBytes)
    }

    /// The next event, or `nil` when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> Event? {
        defer { compact() }
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .head:
                do {
                    guard let head = try parseHead() else { return nil }
                    state = .bodyStart(head.framing)
                    bodyLimit = limits.maxBodyBytes
                    bodyReceived = 0
                    return .head(head)
                } catch {
                    state = .failed(error)
                    throw error
                }
            case .bodyStart(let framing):
                switch framing {
                case .none, .contentLength(0):
                    state = .head
                    return .end
                case .contentLength(let length):
                    if length > bodyLimit { return try fail(.payloadTooLarge, "Request body exceeds \(bodyLimit) bytes") }
                    state = .fixedBody(remaining: length)
                case .chunked:
                    state = .chunkSize(value: 0, digits: 0, lineBytes: 0, inExtension: false)
                }
            case .fixedBody(let remaining):
                if remaining == 0 {
                    state = .head
                    return .end
                }
                guard let chunk = takeBody(upTo: remaining) else { return nil }
                state = .fixedBody(remaining: remaining - chunk.count)
                return .body(chunk)
            case .chunkData(let remaining):
                if remaining == 0 {
                    state = .chunkDataCR
                    continue
                }
                guard let chunk = takeBody(upTo: remaining) else { return nil }
                state = .chunkData(remaining: remaining - chunk.count)
                return .body(chunk)
            case .chunkSize, .chunkSizeLF, .chunkDataCR, .chunkDataLF, .trailers:
                guard index < buffer.count else { return nil }
                if let event = try stepChunkFraming() { return event }
            }
        }
    }

    // MARK: Head

    private mutating func parseHead() throws(HTTPParseError) -> HTTPRequestHead? {
        // Tolerate empty lines before a request line (RFC 9112 §2.2).
        while index + 1 < buffer.count, buffer[index] == 13, buffer[index + 1] == 10 {
            index += 2
            headScanOffset = index
            requestLineScanned = 0
            requestLineLength = -1
        }
        let start = index
        let count = buffer.count
        guard count > start else { return nil }
        var searchFrom = max(start, headScanOffset)
        var end = -1
        while searchFrom + 3 < count {
            // Jump ahead by looking at the last byte of the candidate "\r\n\r\n".
            let b3 = buffer[searchFrom + 3]
            if b3 == 10 {
                if buffer[searchFrom] == 13, buffer[searchFrom + 1] == 10, buffer[searchFrom + 2] == 13 {
                    end = searchFrom
                    break
                }
                searchFrom += 1
            } else if b3 == 13 {
                searchFrom += 1
            } else {
                searchFrom += 4
            }
        }
        let maxRequestLine = limits.maxRequestTargetBytes + 32
        if end < 0 {
            headScanOffset = searchFrom
            // Enforce limits before the head is complete, so a client cannot make us buffer.
            let available = count - start
            if requestLineLength < 0 {
                let scanEnd = min(count, start + maxRequestLine + 2)
                if let lineEnd = firstCRLF(from: start + max(0, requestLineScanned - 1), to: scanEnd) {
                    requestLineLength = lineEnd - start
                } else {
                    requestLineScanned = scanEnd - start
                }
            }
            // A line of exactly the limit may still have its CRLF outstanding: give up only once
            // the limit plus both line-end bytes arrived without one.
            if requestLineLength < 0, available >= maxRequestLine + 2 {
                throw requestLineTooLongError(start: start, end: count)
            }
            if requestLineLength >= 0, available - requestLineLength > limits.maxHeaderBytes + 4 {
                throw HTTPParseError(.requestHeaderFieldsTooLarge, "Request header fields too large")
            }
            return nil
        }
        guard let lineEnd = firstCRLF(from: start, to: end + 2) else {
            throw HTTPParseError(.badRequest, "Malformed request line")
        }
        if lineEnd - start > maxRequestLine { throw requestLineTooLongError(start: start, end: lineEnd) }
        if end + 4 - (lineEnd + 2) > limits.maxHeaderBytes + 2 {
            throw HTTPParseError(.requestHeaderFieldsTooLarge, "Request header fields too large")
        }
        let head = try buffer.withUnsafeBufferPointer { (raw: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> HTTPRequestHead in
            try parseHead(raw, lineStart: start, lineEnd: lineEnd, headersEnd: end + 2)
        }
        index = end + 4
        headScanOffset = index
        requestLineScanned = 0
        requestLineLength = -1
        return head
    }

    private func firstCRLF(from start: Int, to end: Int) -> Int? {
        var i = start
        while i + 1 < end {
            if buffer[i] == 13 && buffer[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    private func requestLineTooLongError(start: Int, end: Int) -> HTTPParseError {
        // If the method is followed by a space, the long part is the target.
        var i = start
        while i < end, i - start < 32, isTokenByte(buffer[i]) { i += 1 }
        if i < end, buffer[i] == 32 { return HTTPParseError(.uriTooLong, "Request-target too long") }
        return HTTPParseError(.badRequest, "Malformed request line")
    }

    private func parseHead(_ b: UnsafeBufferPointer<UInt8>, lineStart: Int, lineEnd: Int,
                           headersEnd: Int) throws(HTTPParseError) -> HTTPRequestHead {
        // Request line: method SP target SP version
        var i = lineStart
        while i < lineEnd, b[i] != 32 {
            guard isTokenByte(b[i]) else { throw HTTPParseError(.badRequest, "Malformed request method") }
            i += 1
        }
        let methodEnd = i
        guard methodEnd > lineStart, i < lineEnd else { throw HTTPParseError(.badRequest, "Malformed request line") }
        i += 1
        let targetStart = i
        while i < lineEnd, b[i] != 32 {
            guard b[i] > 32, b[i] < 127 else { throw HTTPParseError(.badRequest, "Malformed request-target") }
            i += 1
        }
        let targetEnd = i
        guard targetEnd > targetStart, i < lineEnd else { throw HTTPParseError(.badRequest, "Malformed request line") }
        if targetEnd - targetStart > limits.maxRequestTargetBytes {
            throw HTTPParseError(.uriTooLong, "Request-target too long")
        }
        i += 1
        let version = try parseVersion(b, from: i, to: lineEnd)
        let method = try parseMethod(b, from: lineStart, to: methodEnd)
        let target = String(decoding: UnsafeBufferPointer(rebasing: b[targetStart..<targetEnd]), as: UTF8.self)
        if b[targetStart] != 47 /* / */ {
            guard targetEnd - targetStart == 1, b[targetStart] == 42 /* * */, method == .OPTIONS else {
                throw HTTPParseError(.badRequest, "Request-target must be in origin-form")
            }
        }

        // Header fields
        var headers = HTTPHeaders()
        headers.fields.reserveCapacity(8)
        var hostCount = 0
        var contentLengths: [Substring] = []
        var transferEncodings: [String] = []
        var keepAlive = version == .http1_1
        var expectsContinue = false
        var line = lineEnd + 2
        while line < headersEnd {
            guard b[line] != 32, b[line] != 9 else { throw HTTPParseError(.badRequest, "Obsolete line folding is not allowed") }
            var colon = line
            while b[colon] != 58 /* : */ {
                guard isTokenByte(b[colon]) else { throw HTTPParseError(.badRequest, "Malformed header field name") }
                colon += 1
                guard colon < headersEnd else { throw HTTPParseError(.badRequest, "Malformed header field") }
            }
            guard colon > line else { throw HTTPParseError(.badRequest, "Empty header field name") }
            var valueStart = colon + 1
            var j = valueStart
            while b[j] != 13 {
                let c = b[j]
                guard c == 9 || (c >= 32 && c != 127) else { throw HTTPParseError(.badRequest, "Invalid character in header field value") }
                j += 1
            }
            // j is at CR; the head end guarantees a following byte, which must be LF.
            guard b[j + 1] == 10 else { throw HTTPParseError(.badRequest, "Bare CR in header field") }
            var valueEnd = j
            while valueStart < valueEnd, b[valueStart] == 32 || b[valueStart] == 9 { valueStart += 1 }
            while valueEnd > valueStart, b[valueEnd - 1] == 32 || b[valueEnd - 1] == 9 { valueEnd -= 1 }
            guard headers.count < limits.maxHeaderCount else {
                throw HTTPParseError(.requestHeaderFieldsTooLarge, "Too many header fields")
            }
            let name = String(decoding: UnsafeBufferPointer(rebasing: b[line..<colon]), as: UTF8.self)
            let value = String(decoding: UnsafeBufferPointer(rebasing: b[valueStart..<valueEnd]), as: UTF8.self)
            switch colon - line {
            case 4 where HTTPHeaders.namesEqual(name, "host"):
                hostCount += 1
            case 10 where HTTPHeaders.namesEqual(name, "connection"):
                for token in value.split(separator: ",") {
                    let token = token.trimmingOWS()
                    if HTTPHeaders.namesEqual(token, "close") { keepAlive = false }
                    else if HTTPHeaders.namesEqual(token, "keep-alive"), version == .http1_0 { keepAlive = true }
                }
            case 6 where HTTPHeaders.namesEqual(name, "expect"):
                if HTTPHeaders.namesEqual(value, "100-continue") { expectsContinue = true }
            case 14 where HTTPHeaders.namesEqual(name, "content-length"):
                for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                    contentLengths.append(part.trimmingOWS())
                }
            case 17 where HTTPHeaders.namesEqual(name, "transfer-encoding"):
                for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                    transferEncodings.append(part.trimmingOWS().lowercased())
                }
            default:
                break
            }
            headers.fields.append((name: name, value: value))
            line = j + 2
        }

        if version == .http1_1 {
            guard hostCount == 1 else { throw HTTPParseError(.badRequest, hostCount == 0 ? "Missing Host header" : "Multiple Host headers") }
        } else if hostCount > 1 {
            throw HTTPParseError(.badRequest, "Multiple Host headers")
        }

        let framing: HTTPBodyFraming
        if !transferEncodings.isEmpty {
            guard contentLengths.isEmpty else {
                throw HTTPParseError(.badRequest, "Both Content-Length and Transfer-Encoding")
            }
            guard version == .http1_1 else { throw HTTPParseError(.badRequest, "Transfer-Encoding in HTTP/1.0") }
            guard transferEncodings.allSatisfy({ !$0.isEmpty }) else {
                throw HTTPParseError(.badRequest, "Malformed Transfer-Encoding")
            }
            guard transferEncodings == ["chunked"] else {
                throw HTTPParseError(.notImplemented, "Unsupported Transfer-Encoding")
            }
            framing = .chunked
        } else if let first = contentLengths.first {
            guard let length = HTTPRequestParser.parseContentLength(first),
                  contentLengths.allSatisfy({ $0 == first }) else {
                throw HTTPParseError(.badRequest, "Invalid Content-Length")
            }
            framing = length == 0 ? .none : .contentLength(length)
        } else if method.requiresBodyFraming {
            throw HTTPParseError(.lengthRequired, "Content-Length or chunked Transfer-Encoding required")
        } else {
            framing = .none
        }

        return HTTPRequestHead(method: method, target: target, version: version, headers: headers,
                               keepAlive: keepAlive, framing: framing,
                               expectsContinue: expectsContinue && framing != .none)
    }

    private func parseVersion(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) throws(HTTPParseError) -> HTTPVersion {
        // "HTTP/" DIGIT "." DIGIT
        guard end - start == 8, b[start] == 72, b[start + 1] == 84, b[start + 2] == 84, b[start + 3] == 80,
              b[start + 4] == 47, b[start + 6] == 46,
              isDigit(b[start + 5]), isDigit(b[start + 7]) else {
            throw HTTPParseError(.badRequest, "Malformed HTTP version")
        }
        let major = Int(b[start + 5] - 48), minor = Int(b[start + 7] - 48)
        guard major == 1, minor <= 1 else { throw HTTPParseError(.httpVersionNotSupported, "HTTP version not supported") }
        return minor == 1 ? .http1_1 : .http1_0
    }

    private func parseMethod(_ b: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) throws(HTTPParseError) -> HTTPMethod {
        @inline(__always) func equals(_ literal: StaticString) -> Bool {
            guard literal.utf8CodeUnitCount == end - start else { return false }
            let p = literal.utf8Start
            for k in 0..<(end - start) where p[k] != b[start + k] { return false }
            return true
        }
        switch end - start {
        case 3:
            if equals("GET") { return .GET }
            if equals("PUT") { return .PUT }
        case 4:
            if equals("POST") { return .POST }
            if equals("HEAD") { return .HEAD }
        case 5:
            if equals("PATCH") { return .PATCH }
            if equals("TRACE") { return .TRACE }
            if equals("QUERY") { return .QUERY }
        case 6:
            if equals("DELETE") { return .DELETE }
        case 7:
            if equals("OPTIONS") { return .OPTIONS }
            if equals("CONNECT") { return .CONNECT }
        default:
            break
        }
        // A token that is none of `HTTPMethod.recognised`: a method the server does not recognise.
        // (A recognised method a path does not serve is the router's 405.)
        throw HTTPParseError(.notImplemented, "Method not implemented")
    }

    /// Parses a Content-Length value: 1 to 18 digits, nothing else.
    static func parseContentLength<S: StringProtocol>(_ text: S) -> Int? {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= 18 else { return nil }
        var value = 0
        for byte in utf8 {
            guard byte >= 48, byte <= 57 else { return nil }
            value = value &* 10 &+ Int(byte - 48)
        }
        return value
    }

    // MARK: Body

    private mutating func takeBody(upTo remaining: Int) -> [UInt8]? {
        let available = buffer.count - index
        guard available > 0 else { return nil }
        let n = min(available, remaining, limits.maxBodyEventBytes)
        let chunk = Array(buffer[index..<(index + n)])
        index += n
        return chunk
    }

    private mutating func fail(_ status: HTTPStatus, _ reason: String) throws(HTTPParseError) -> Event? {
        let error = HTTPParseError(status, reason)
        state = .failed(error)
        throw error
    }

    /// Consumes chunked-coding framing bytes; returns `.end` after the trailers.
    private mutating func stepChunkFraming() throws(HTTPParseError) -> Event? {
        while index < buffer.count {
            let c = buffer[index]
            switch state {
            case .chunkSize(let value, let digits, let lineBytes, let inExtension):
                guard lineBytes < limits.maxChunkLineBytes else { return try fail(.badRequest, "Chunk size line too long") }
                index += 1
                if c == 13 {
                    guard digits > 0 else { return try fail(.badRequest, "Missing chunk size") }
                    state = .chunkSizeLF(size: value)
                    continue
                }
                if inExtension || c == 59 /* ; */ || c == 32 || c == 9 {
                    guard digits > 0, c == 9 || (c >= 32 && c != 127) else { return try fail(.badRequest, "Malformed chunk extension") }
                    state = .chunkSize(value: value, digits: digits, lineBytes: lineBytes + 1, inExtension: true)
                    continue
                }
                guard let digit = hexValue(c) else { return try fail(.badRequest, "Malformed chunk size") }
                guard digits < 15 else { return try fail(.badRequest, "Chunk size too large") }
                state = .chunkSize(value: value << 4 | digit, digits: digits + 1, lineBytes: lineBytes + 1, inExtension: false)
            case .chunkSizeLF(let size):
                guard c == 10 else { return try fail(.badRequest, "Bare CR in chunk size line") }
                index += 1
                if size == 0 {
                    state = .trailers(lineBytes: 0, totalBytes: 0, sawCR: false)
                } else {
                    let (total, overflow) = bodyReceived.addingReportingOverflow(size)
                    guard !overflow, total <= bodyLimit else { return try fail(.payloadTooLarge, "Request body exceeds \(bodyLimit) bytes") }
                    bodyReceived = total
                    state = .chunkData(remaining: size)
                    return nil
                }
            case .chunkDataCR:
                guard c == 13 else { return try fail(.badRequest, "Missing CRLF after chunk data") }
                index += 1
                state = .chunkDataLF
            case .chunkDataLF:
                guard c == 10 else { return try fail(.badRequest, "Missing CRLF after chunk data") }
                index += 1
                state = .chunkSize(value: 0, digits: 0, lineBytes: 0, inExtension: false)
            case .trailers(let lineBytes, let totalBytes, let sawCR):
                index += 1
                guard totalBytes < limits.maxHeaderBytes else { return try fail(.requestHeaderFieldsTooLarge, "Trailer section too large") }
                if sawCR {
                    guard c == 10 else { return try fail(.badRequest, "Bare CR in trailer section") }
                    if lineBytes == 0 {
                        state = .head
                        return .end
                    }
                    state = .trailers(lineBytes: 0, totalBytes: totalBytes + 1, sawCR: false)
                } else if c == 13 {
                    state = .trailers(lineBytes: lineBytes, totalBytes: totalBytes + 1, sawCR: true)
                } else {
                    guard c == 9 || (c >= 32 && c != 127) else { return try fail(.badRequest, "Invalid character in trailer section") }
                    if lineBytes == 0, c == 32 || c == 9 { return try fail(.badRequest, "Obsolete line folding is not allowed") }
                    state = .trailers(lineBytes: lineBytes + 1, totalBytes: totalBytes + 1, sawCR: false)
                }
            default:
                return nil
            }
        }
        return nil
    }

    private mutating func compact() {
        if index == buffer.count {
            if index > 0 {
                buffer.removeAll(keepingCapacity: buffer.capacity <= 256 * 1024)
                index = 0
                headScanOffset = 0
            }
        } else if index >= 64 * 1024 || (index > 4096 && index * 2 > buffer.count) {
            buffer.removeSubrange(0..<index)
            headScanOffset = max(0, headScanOffset - index)
            index = 0
        }
    }
}

@inline(__always) private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

@inline(__always) private func hexValue(_ c: UInt8) -> Int? {
    switch c {
    case 48...57: return Int(c - 48)
    case 65...70: return Int(c - 55)
    case 97...102: return Int(c - 87)
    default: return nil
    }
}

