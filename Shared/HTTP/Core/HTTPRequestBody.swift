import Foundation

/// A request body: bytes already buffered, or a stream of chunks arriving from the socket.
///
/// Iterate with `for try await chunk in body` (one consumer only), or `collect(upTo:)`.
/// A streamed body applies backpressure: the server stops reading the socket while more
/// than `HTTPBodyStream.highWaterMark` bytes wait for the handler.
public struct HTTPRequestBody: Sendable, AsyncSequence {
    public typealias Element = [UInt8]

    enum Storage: Sendable {
        case buffered([UInt8])
        case stream(HTTPBodyStream)
    }

    let storage: Storage

    /// An empty body.
    public init() { storage = .buffered([]) }

    /// A body of `bytes`.
    public init(bytes: [UInt8]) { storage = .buffered(bytes) }

    init(stream: HTTPBodyStream) { storage = .stream(stream) }

    /// The bytes when the body was buffered by the server, `nil` for a streamed body.
    public var bufferedBytes: [UInt8]? {
        if case .buffered(let bytes) = storage { return bytes }
        return nil
    }

    /// Whether the body arrives as a stream (routes with `streamsBody`).
    public var isStreaming: Bool {
        if case .stream = storage { return true }
        return false
    }

    /// All bytes of the body; throws `HTTPError` 413 as soon as more than `maxBytes` arrive.
    public func collect(upTo maxBytes: Int) async throws -> [UInt8] {
        switch storage {
        case .buffered(let bytes):
            guard bytes.count <= maxBytes else { throw HTTPError.payloadTooLarge(limit: maxBytes) }
            return bytes
        case .stream(let stream):
            var result: [UInt8] = []
            while let chunk = try await stream.next() {
                guard chunk.count <= maxBytes - result.count else {
                    stream.abandon()
                    throw HTTPError.payloadTooLarge(limit: maxBytes)
                }
                result.append(contentsOf: chunk)
            }
            return result
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(storage: storage)
    }

    /// Yields the body's chunks in order.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var storage: Storage?

        public mutating func next() async throws -> [UInt8]? {
            switch storage {
            case .none:
                return nil
            case .buffered(let bytes):
                storage = nil
                return bytes.isEmpty ? nil : bytes
            case .stream(let stream):
                let chunk = try await stream.next()
                if chunk == nil { storage = nil }
                return chunk
            }
        }
    }
}
