import Crypto

/// A W3C Trace Context position: the trace a piece of work belongs to and this service's
/// span in it.
///
/// A request arriving with a valid `traceparent` continues that trace: same trace id, the
/// caller's span as parent, a new span id of its own. Without one a new trace starts. Each
/// call this service makes passes on `childTraceparent()`: same trace id, a new span id, so
/// the next service sees a parent it has never seen. No spans are recorded or exported: the
/// ids are there to join log lines, events and other systems' traces.
public struct TraceContext: Sendable, Equatable {
    /// 32 lower-case hex digits, not all zero.
    public var traceId: String
    /// This service's span: 16 lower-case hex digits, not all zero.
    public var spanId: String
    /// The caller's span, when the trace came from a caller.
    public var parentSpanId: String?
    /// The trace flags, 2 hex digits (`01`: the caller samples this trace).
    public var flags: String

    public init(traceId: String, spanId: String, parentSpanId: String? = nil, flags: String = "00") {
        self.traceId = traceId
        self.spanId = spanId
        self.parentSpanId = parentSpanId
        self.flags = flags
    }

    /// The context for work that `traceparent` (the caller's header, if any) asked for: a new
    /// span in the caller's trace, or a new trace when the header is absent or malformed.
    public static func continuing(_ traceparent: String?) -> TraceContext {
        guard let parent = parse(traceparent) else { return TraceContext(traceId: randomHex(words: 2), spanId: randomHex(words: 1)) }
        return TraceContext(traceId: parent.traceId, spanId: randomHex(words: 1), parentSpanId: parent.spanId, flags: parent.flags)
    }

    /// The trace id, parent (span) id and flags of a `traceparent` header, if it is valid.
    ///
    /// Follows the W3C rules: version `00` is exactly `00-<32 hex>-<16 hex>-<2 hex>` in lower
    /// case with non-zero ids; a later version (not `ff`) may carry more after the flags,
    /// separated by `-`, which is ignored.
    public static func parse(_ value: String?) -> TraceContext? {
        guard let value else { return nil }
        let bytes = Array(value.utf8)
        guard bytes.count >= 55, bytes[2] == 0x2d, bytes[35] == 0x2d, bytes[52] == 0x2d else { return nil }
        let version = bytes[0..<2], traceId = bytes[3..<35], spanId = bytes[36..<52], flags = bytes[53..<55]
        guard isLowerHex(version), isLowerHex(traceId), isLowerHex(spanId), isLowerHex(flags),
              !(version.elementsEqual("ff".utf8)),
              traceId.contains(where: { $0 != 0x30 }), spanId.contains(where: { $0 != 0x30 }) else { return nil }
        if version.elementsEqual("00".utf8) {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55 {
            guard bytes[55] == 0x2d else { return nil }
        }
        return TraceContext(traceId: String(decoding: traceId, as: UTF8.self), spanId: String(decoding: spanId, as: UTF8.self),
                            flags: String(decoding: flags, as: UTF8.self))
    }

    /// This span as a `traceparent` value (version 00), for what it produces (events).
    public var traceparent: String { "00-\(traceId)-\(spanId)-\(flags)" }

    /// A `traceparent` for one outgoing call: this trace, a new span id, the same flags.
    public func childTraceparent() -> String { "00-\(traceId)-\(Self.randomHex(words: 1))-\(flags)" }

    private static func isLowerHex(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// `words` random 64-bit words as lower-case hex (16 digits each), never all zero.
    ///
    /// Runs once or twice per request: one draw from `IdentifierRandom` (no system call, as
    /// `SystemRandomNumberGenerator` makes per word) and table lookups, without intermediate
    /// strings.
    static func randomHex(words: Int) -> String {
        var bytes = IdentifierRandom.bytes(count: words * 8)
        while !bytes.contains(where: { $0 != 0 }) { bytes = IdentifierRandom.bytes(count: words * 8) }
        return String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[index * 2] = hexDigits[Int(byte >> 4)]
                buffer[index * 2 + 1] = hexDigits[Int(byte & 0x0f)]
            }
            return bytes.count * 2
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
