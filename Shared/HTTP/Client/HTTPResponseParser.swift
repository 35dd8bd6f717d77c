import Foundation

/// An incremental HTTP/1.x response parser for the client: bytes in, one response out.
///
/// A plain state machine with no I/O. Supports Content-Length, chunked (extensions and
/// trailers skipped) and close-delimited bodies; skips 1xx interim responses. Call
/// `feed(_:)` until it returns `true`, or `endOfInput()` when the peer closed.
///
/// A buffered response's body is collected whole, up to `Limits.maxBodyBytes`; a streamed
/// one (`streamsBody`, `HTTPClient.stream`) is handed out as it arrives (`takeBody()`), so
/// its size has no limit here and the caller holds what it has not yet taken.
struct HTTPResponseParser: Sendable {
    struct Limits: Sendable {
        var maxHeaderBytes = 64 * 1024
        /// The largest buffered body: an internal answer (JSON) is far below it; documents
        /// are streamed instead.
        var maxBodyBytes = 64 << 20
        init() {}
    }

    private enum Framing { case none, length(Int), chunked, untilClose }
    private enum Phase { case head, body(Framing), complete }

    let limits: Limits
    /// Whether the request was HEAD (the response then has no body whatever its headers say).
    let isHeadRequest: Bool
    private var phase = Phase.head
    private var buffer: [UInt8] = []
    private var index = 0
    private(set) var status = HTTPStatus(code: 0, reasonPhrase: "")
    private(set) var headers = HTTPHeaders()
    private(set) var body: [UInt8] = []
    /// Whether the connection may be reused after this response.
    private(set) var keepAlive = true
    /// Whether any byte of a response arrived.
    private(set) var receivedAnyBytes = false

    /// Whether the body is handed out as it arrives (`takeBody()`) rather than collected.
    let streamsBody: Bool

    init(isHeadRequest: Bool, limits: Limits = Limits(), streamsBody: Bool = false) {
        self.isHeadRequest = isHeadRequest
        var limits = limits
        if streamsBody { limits.maxBodyBytes = .max }
        self.limits = limits
        self.streamsBody = streamsBody
    }

    var isComplete: Bool {
        if case .complete = phase { return true }
        return false
    }

    /// Whether the status line and headers were read.
    var hasHead: Bool {
        if case .head = phase { return false }
        return true
    }

    /// The body bytes received and not yet taken (a streamed body's next piece).
    mutating func takeBody() -> [UInt8] {
        defer { body = [] }
        return body
    }

    /// Consumes bytes; `true` once the response is complete. Bytes after it are ignored.
    mutating func feed<C: Collection>(_ bytes: C) throws(HTTPParseError) -> Bool where C.Element == UInt8 {
        if !bytes.isEmpty { receivedAnyBytes = true }
        if isComplete { return true }
        // A body of known length with nothing buffered before it takes the bytes at once,
        // without the copy through `buffer` (a download's pieces; measured: docs/performance.md,
        // design measurements).
        if case .body(.length(let remaining)) = phase, index == buffer.count, bytes.count <= remaining {
            body.append(contentsOf: bytes)
            phase = remaining == bytes.count ? .complete : .body(.length(remaining - bytes.count))
            return isComplete
        }
        buffer.append(contentsOf: bytes)
        while true {
            switch phase {
            case .complete:
                return true
            case .head:
                guard let framing = try parseHead() else { return false }
                phase = .body(framing)
            case .body(.none):
                phase = .complete
            case .body(.length(let remaining)):
                let n = min(remaining, buffer.count - index)
                body.append(contentsOf: buffer[index..<(index + n)])
                index += n
                if remaining == n {
                    phase = .complete
                } else {
                    phase = .body(.length(remaining - n))
                    compact()
                    return false
                }
            case .body(.untilClose):
                body.append(contentsOf: buffer[index...])
                index = buffer.count
                compact()
                guard body.count <= limits.maxBodyBytes else { throw HTTPParseError(.badGateway, "Response body too large") }
                return false
            case .body(.chunked):
                guard try parseChunks() else {
                    compact()
                    return false
                }
                phase = .complete
            }
        }
    }

    /// The peer closed: completes a close-delimited body, otherwise reports truncation.
    mutating func endOfInput() throws(HTTPParseError) {
        switch phase {
        case .complete: return
        case .body(.untilClose): phase = .complete
        default: throw HTTPParseError(.badGateway, "Connection closed before the response was complete")
        }
    }

    private mutating func compact() {
        if index > 0 {
            buffer.removeSubrange(0..<index)
            index = 0
        }
    }

    private func findCRLF(from start: Int, limit: Int) -> Int? {
        var i = start
        let end = min(buffer.count, start + limit)
        while i + 1 < end {
            if buffer[i] == 13, buffer[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    private mutating func parseHead() throws(HTTPParseError) -> Framing? {
        // Find the blank line ending the head.
        var i = index, end = -1
        while i + 3 < buffer.count {
            if buffer[i] == 13, buffer[i + 1] == 10, buffer[i + 2] == 13, buffer[i + 3] == 10 {
                end = i
                break
            }
            i += 1
        }
        guard end >= 0 else {
            if buffer.count - index > limits.maxHeaderBytes { throw HTTPParseError(.badGateway, "Response head too large") }
            return nil
        }
        let lines = buffer[index..<end].split(separator: 10, omittingEmptySubsequences: false)
        var parsedHeaders = HTTPHeaders()
        var statusCode = 0
        var reason = ""
        var version = HTTPVersion.http1_1
        for (number, rawLine) in lines.enumerated() {
            // Every line but the last ends in CR (the last one's CRLF is part of the blank line).
            var line = rawLine
            if number < lines.count - 1 {
                guard line.last == 13 else { throw HTTPParseError(.badGateway, "Bare LF in response head") }
                line = line.dropLast()
            }
            guard !line.contains(13), !line.contains(0) else { throw HTTPParseError(.badGateway, "Invalid byte in response head") }
            if number == 0 {
                let text = String(decoding: line, as: UTF8.self)
                let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
                guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].utf8.count == 3,
                      let code = Int(parts[1]), code >= 100 else {
                    throw HTTPParseError(.badGateway, "Malformed status line")
                }
                if parts[0] == "HTTP/1.0" { version = .http1_0 }
                statusCode = code
                reason = parts.count > 2 ? String(parts[2]) : ""
            } else {
                guard let colon = line.firstIndex(of: 58), colon > line.startIndex,
                      line[line.startIndex..<colon].allSatisfy(isTokenByte) else {
                    throw HTTPParseError(.badGateway, "Malformed response header")
                }
                let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
                let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingOWS()
                parsedHeaders.add(name: name, value: String(value))
            }
        }
        index = end + 4
        if statusCode < 200 {
            // Interim response (100 Continue): skip it and read the final one.
            compact()
            return try parseHead()
        }
        status = HTTPStatus(code: statusCode)
        if !reason.isEmpty { status.reasonPhrase = reason }
        headers = parsedHeaders
        keepAlive = version == .http1_1 ? !parsedHeaders.containsToken("close", in: "Connection")
            : parsedHeaders.containsToken("keep-alive", in: "Connection")
        if isHeadRequest || statusCode == 204 || statusCode == 304 { return Framing.none }
        let encodings = parsedHeaders.values(for: "Transfer-Encoding")
        if !encodings.isEmpty {
            guard parsedHeaders.containsToken("chunked", in: "Transfer-Encoding") else {
                keepAlive = false
                return .untilClose
            }
            return .chunked
        }
        let lengths = parsedHeaders.values(for: "Content-Length")
        if let first = lengths.first {
            guard let length = HTTPRequestParser.parseContentLength(first.trimmingOWS()),
                  lengths.allSatisfy({ $0 == first }) else {
                throw HTTPParseError(.badGateway, "Invalid Content-Length in response")
            }
            guard length <= limits.maxBodyBytes else { throw HTTPParseError(.badGateway, "Response body too large") }
            // One allocation for a large buffered body instead of a doubling series.
            if !streamsBody { body.reserveCapacity(length) }
            return length == 0 ? Framing.none : .length(length)
        }
        keepAlive = false
        return .untilClose
    }

    /// Decodes complete chunks from the buffer; `true` after the last chunk and trailers.
    private mutating func parseChunks() throws(HTTPParseError) -> Bool {
        while true {
            guard let lineEnd = findCRLF(from: index, limit: 4096) else {
                if buffer.count - index >= 4096 { throw HTTPParseError(.badGateway, "Chunk size line too long") }
                return false
            }
            var size = 0, digits = 0
            var i = index
            while i < lineEnd, let digit = hexDigit(buffer[i]) {
                guard digits < 15 else { throw HTTPParseError(.badGateway, "Chunk size too large") }
                size = size << 4 | digit
                digits += 1
                i += 1
            }
            guard digits > 0, i == lineEnd || buffer[i] == 59 || buffer[i] == 32 || buffer[i] == 9 else {
                throw HTTPParseError(.badGateway, "Malformed chunk size")
            }
            if size == 0 {
                // Trailers: lines until an empty one.
                var line = lineEnd + 2
                while true {
                    guard let next = findCRLF(from: line, limit: limits.maxHeaderBytes) else {
                        if buffer.count - line >= limits.maxHeaderBytes { throw HTTPParseError(.badGateway, "Trailers too large") }
                        return false
                    }
                    if next == line {
                        index = next + 2
                        return true
                    }
                    line = next + 2
                }
            }
            guard size <= limits.maxBodyBytes - body.count else { throw HTTPParseError(.badGateway, "Response body too large") }
            let dataStart = lineEnd + 2
            guard buffer.count - dataStart >= size + 2 else { return false }
            guard buffer[dataStart + size] == 13, buffer[dataStart + size + 1] == 10 else {
                throw HTTPParseError(.badGateway, "Missing CRLF after chunk")
            }
            body.append(contentsOf: buffer[dataStart..<(dataStart + size)])
            index = dataStart + size + 2
        }
    }

    private func hexDigit(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c - 48)
        case 65...70: return Int(c - 55)
        case 97...102: return Int(c - 87)
        default: return nil
        }
    }
}
