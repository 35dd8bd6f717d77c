/// A response body written while it is sent, for bodies too large to hold (an export of
/// millions of rows, a document download): without a `length` the server sends it with
/// `Transfer-Encoding: chunked`, one chunk per `HTTPBodyWriter.write`; with one, as
/// `Content-Length: length` and the written bytes as they are (the producer must write exactly
/// that many: fewer, or more, closes the connection, so the client sees a truncated body).
///
/// `produce` runs after the response head is queued; each `write` returns once the chunk is
/// queued on the connection and the peer has taken enough that at most half the connection's
/// output limit (`HTTPServerConfiguration.maxPendingOutputBytes`) waits unsent, so a slow
/// reader slows the producer and memory stays bounded (backpressure). `write` throws
/// `HTTPBodyWriter.ConnectionClosed` once the connection is gone; the producer should then
/// stop. When `produce` throws, the connection is closed without the last chunk, so the
/// client sees a truncated body, never a complete-looking one. A HEAD request sends the head
/// only and does not run `produce`.
public struct HTTPStreamedBody: Sendable {
    public let produce: @Sendable (HTTPBodyWriter) async throws -> Void
    /// The body's size when known beforehand (sent as `Content-Length`); nil: chunked.
    public let length: Int?

    public init(length: Int? = nil, _ produce: @escaping @Sendable (HTTPBodyWriter) async throws -> Void) {
        precondition(length.map { $0 >= 0 } ?? true, "a streamed body's length is not negative")
        self.length = length
        self.produce = produce
    }
}

/// Hands a streamed body's chunks to its connection (see `HTTPStreamedBody`).
public struct HTTPBodyWriter: Sendable {
    /// The connection is closed: nothing more will be sent.
    public struct ConnectionClosed: Error {}

    /// Queues a chunk on the connection and resumes the continuation with whether the
    /// connection still takes output, once its unsent output is low enough.
    let deliver: @Sendable ([UInt8], CheckedContinuation<Bool, Never>) -> Void

    init(deliver: @escaping @Sendable ([UInt8], CheckedContinuation<Bool, Never>) -> Void) {
        self.deliver = deliver
    }

    /// Sends `bytes` (one chunk when chunked; nothing for none); see the type for when it returns.
    public func write(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        let open = await withCheckedContinuation { continuation in deliver(bytes, continuation) }
        if !open { throw ConnectionClosed() }
    }
}
