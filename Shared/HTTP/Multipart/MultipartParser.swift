import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An incremental `multipart/form-data` parser (RFC 7578 / RFC 2046).
///
/// A plain state machine: `feed(_:)` takes bytes as they arrive and returns the events
/// they complete; `finish()` checks that the closing delimiter was seen. Part data is
/// passed on as it arrives; only a delimiter-sized tail and one part's headers are held,
/// so memory stays bounded by `Limits` plus the size of one feed. Errors are sticky.
public struct MultipartParser: Sendable {
    /// Bounds on what one body may contain.
    public struct Limits: Sendable {
        /// Size of one part's header block.
        public var maxPartHeaderBytes = 8 * 1024
        /// Number of parts.
        public var maxParts = 100
        public init() {}
    }

    private enum State: Sendable {
        case preamble
        case afterDelimiter(paddingBytes: Int)
        case headers
        case body
        case epilogue
        case failed(MultipartError)
    }

    public let boundary: String
    public var limits: Limits
    private let delimiter: [UInt8]
    private var state: State
    private var buffer: [UInt8]
    private var parts = 0

    /// A parser for parts separated by `boundary` (the `boundary` parameter, without `--`).
    ///
    /// An invalid boundary (empty, over 70 characters, or containing CR/LF) makes the first
    /// `feed` throw.
    public init(boundary: String, limits: Limits = Limits()) {
        self.boundary = boundary
        self.limits = limits
        delimiter = Array("\r\n--\(boundary)".utf8)
        let bytes = boundary.utf8
        if bytes.isEmpty || bytes.count > 70 || bytes.contains(where: { $0 < 32 || $0 == 127 }) {
            state = .failed(MultipartError("invalid boundary"))
        } else {
            state = .preamble
        }
        // The body starts with "--boundary"; a virtual CRLF lets one search cover both cases.
        buffer = [13, 10]
    }

    /// The boundary parameter of a `multipart/form-data` Content-Type, or `nil`.
    public static func boundary(fromContentType contentType: String) -> String? {
        let parameters = HeaderParameters.parse(contentType)
        guard parameters.value.lowercased() == "multipart/form-data",
              let boundary = parameters.parameters.first(where: { $0.name.lowercased() == "boundary" })?.value,
              !boundary.isEmpty, boundary.utf8.count <= 70, !boundary.utf8.contains(where: { $0 < 32 || $0 == 127 }) else {
            return nil
        }
        return boundary
    }

    /// Consumes `bytes`, returning the events they complete.
    ///
    /// When it throws, the events this call would have returned are discarded; the body
    /// is to be rejected as a whole.
    public mutating func feed<C: Collection>(_ bytes: C) throws(MultipartError) -> [MultipartEvent] where C.Element == UInt8 {
        if case .failed(let error) = state { throw error }
        if case .epilogue = state { return [] }
        buffer.append(contentsOf: bytes)
        var events: [MultipartEvent] = []
        var index = 0
        defer {
            if index > 0 { buffer.removeSubrange(0..<min(index, buffer.count)) }
        }
        do {
            try step(&index, &events)
        } catch {
            state = .failed(error)
            buffer = []
            index = 0
            throw error
        }
        return events
    }

    /// Checks that the body ended with the closing delimiter.
    public func finish() throws(MultipartError) {
        switch state {
        case .epilogue: return
        case .failed(let error): throw error
        default: throw MultipartError("truncated body: closing delimiter missing")
        }
    }

    private mutating func step(_ index: inout Int, _ events: inout [MultipartEvent]) throws(MultipartError) {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .epilogue:
                index = buffer.count
                return
            case .preamble:
                if let found = find(delimiter, from: index) {
                    index = found + delimiter.count
                    state = .afterDelimiter(paddingBytes: 0)
                } else {
                    // Drop preamble bytes that cannot start a delimiter.
                    index = max(index, buffer.count - (delimiter.count - 1))
                    return
                }
            case .afterDelimiter(let padding):
                guard buffer.count - index >= 2 else { return }
                let a = buffer[index], b = buffer[index + 1]
                if a == 45, b == 45 {  // "--"
                    index += 2
                    state = .epilogue
                    events.append(.end)
                } else if a == 13, b == 10 {
                    index += 2
                    state = .headers
                } else if a == 32 || a == 9, padding < 256 {
                    index += 1
                    state = .afterDelimiter(paddingBytes: padding + 1)
                } else {
                    throw MultipartError("unexpected bytes after boundary")
                }
            case .headers:
                let available = buffer.count - index
                let end: Int
                if available >= 2, buffer[index] == 13, buffer[index + 1] == 10 {
                    end = index
                } else if let found = find([13, 10, 13, 10], from: index) {
                    end = found + 2
                } else {
                    // Up to 3 bytes of the blank-line terminator may already be here, and the
                    // limit counts the last header's CRLF: only more than limit + 1 bytes
                    // without a terminator are certainly too many, whatever the split.
                    if available > limits.maxPartHeaderBytes + 1 { throw MultipartError("part headers too large") }
                    return
                }
                guard end - index <= limits.maxPartHeaderBytes else { throw MultipartError("part headers too large") }
                parts += 1
                guard parts <= limits.maxParts else { throw MultipartError("too many parts") }
                let head = try parsePartHead(from: index, to: end)
                index = end + 2
                state = .body
                events.append(.partBegin(head))
            case .body:
                if let found = find(delimiter, from: index) {
                    if found > index { events.append(.partData(Array(buffer[index..<found]))) }
                    events.append(.partEnd)
                    index = found + delimiter.count
                    state = .afterDelimiter(paddingBytes: 0)
                } else {
                    let safeEnd = buffer.count - (delimiter.count - 1)
                    if safeEnd > index {
                        events.append(.partData(Array(buffer[index..<safeEnd])))
                        index = safeEnd
                    }
                    return
                }
            }
        }
    }

    /// The first index at or after `start` where `pattern` begins in the buffer. Candidates
    /// are found with memchr on the pattern's first byte (a CR for delimiters), so a file
    /// part's bytes are skipped at memory speed rather than compared one by one.
    private func find(_ pattern: [UInt8], from start: Int) -> Int? {
        let m = pattern.count
        guard m > 0, buffer.count - start >= m else { return nil }
        let first = Int32(pattern[0])
        let last = buffer.count - m
        return buffer.withUnsafeBufferPointer { bytes -> Int? in
            guard let base = bytes.baseAddress else { return nil }
            var i = start
            while i <= last {
                guard let hit = memchr(base + i, first, last - i + 1) else { return nil }
                i = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                var k = 1
                while k < m, bytes[i + k] == pattern[k] { k += 1 }
                if k == m { return i }
                i += 1
            }
            return nil
        }
    }

    /// Parses "Name: value" lines in buffer[start..<end] (each line ends in CRLF).
    private func parsePartHead(from start: Int, to end: Int) throws(MultipartError) -> MultipartPartHead {
        var headers = HTTPHeaders()
        var line = start
        while line < end {
            var lineEnd = line
            while lineEnd + 1 < end, !(buffer[lineEnd] == 13 && buffer[lineEnd + 1] == 10) { lineEnd += 1 }
            guard lineEnd + 1 < end else { throw MultipartError("malformed part header") }
            let bytes = buffer[line..<lineEnd]
            guard let colon = bytes.firstIndex(of: 58), colon > line,
                  bytes[line..<colon].allSatisfy(isTokenByte),
                  bytes[(colon + 1)...].allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else {
                throw MultipartError("malformed part header")
            }
            let name = String(decoding: bytes[line..<colon], as: UTF8.self)
            let value = String(decoding: bytes[(colon + 1)...], as: UTF8.self).trimmingOWS()
            headers.add(name: name, value: String(value))
            line = lineEnd + 2
        }
        var head = MultipartPartHead(headers: headers, contentType: headers["Content-Type"])
        if let disposition = headers["Content-Disposition"] {
            let parsed = HeaderParameters.parse(disposition)
            for parameter in parsed.parameters {
                switch parameter.name.lowercased() {
                case "name": head.name = parameter.value
                case "filename": head.filename = parameter.value
                default: break
                }
            }
        }
        return head
    }
}

/// A header value of the form `value; name=token; name="quoted \" string"`.
struct HeaderParameters {
    var value: String
    var parameters: [(name: String, value: String)]

    static func parse(_ text: String) -> HeaderParameters {
        let chars = Array(text.utf8)
        var i = 0
        func skipSpace() { while i < chars.count, chars[i] == 32 || chars[i] == 9 { i += 1 } }
        var start = i
        while i < chars.count, chars[i] != 59 { i += 1 }
        let value = String(decoding: chars[start..<i], as: UTF8.self).trimmingOWS()
        var parameters: [(name: String, value: String)] = []
        while i < chars.count {
            i += 1  // skip ';'
            skipSpace()
            start = i
            while i < chars.count, chars[i] != 61, chars[i] != 59 { i += 1 }
            let name = String(decoding: chars[start..<i], as: UTF8.self).trimmingOWS()
            guard i < chars.count, chars[i] == 61 else {
                continue
            }
            i += 1
            skipSpace()
            var parameterValue: [UInt8] = []
            if i < chars.count, chars[i] == 34 {
                i += 1
                while i < chars.count, chars[i] != 34 {
                    if chars[i] == 92, i + 1 < chars.count { i += 1 }
                    parameterValue.append(chars[i])
                    i += 1
                }
                if i < chars.count { i += 1 }
                while i < chars.count, chars[i] != 59 { i += 1 }
            } else {
                start = i
                while i < chars.count, chars[i] != 59 { i += 1 }
                parameterValue = Array(chars[start..<i])
            }
            let decoded = String(decoding: parameterValue, as: UTF8.self)
            parameters.append((name: String(name), value: String(decoded.trimmingOWS())))
        }
        return HeaderParameters(value: String(value), parameters: parameters)
    }
}
