import Errors
import Foundation

extension HTTPClient {
    /// Sends `request` (its body buffered) and returns once the response's head arrived; the
    /// body is read from the connection as the caller takes it (`HTTPClientStreamedResponse`),
    /// so a large answer (a document download) is never held whole.
    ///
    /// An idempotent request on a reused keep-alive connection that closed before any answer
    /// byte is sent again on another, as `execute` does. `requestTimeout` bounds the whole
    /// exchange, body included.
    public func stream(_ request: HTTPClientRequest) async throws -> HTTPClientStreamedResponse {
        let target = try Target(url: request.url)
        var attempt = 0
        while true {
            let exchange = try await onWorker { [self] in try StreamedExchange.open(self, request, target: target, streamsResponse: true) }
            do {
                let answered = try await onWorker {
                    try exchange.sendHead(request, target: target, contentLength: request.body.count)
                    if !request.body.isEmpty { _ = try exchange.send(request.body, from: 0) }
                    return try exchange.receiveHead()
                }
                if answered {
                    return HTTPClientStreamedResponse(status: exchange.status, headers: exchange.headers,
                                                      body: HTTPClientResponseBody(client: self, exchange: exchange, target: target))
                }
                exchange.finish(reusable: false)
                attempt += 1
                guard exchange.reused, request.isRetryable, attempt <= configuration.retries else {
                    throw ClientSocket.Failure.closed
                }
            } catch {
                exchange.finish(reusable: false)
                throw clienteleError(error, target: target)
            }
        }
    }
}

/// A response whose body is read as it is taken (`HTTPClient.stream`).
public struct HTTPClientStreamedResponse: Sendable {
    public let status: HTTPStatus
    public let headers: HTTPHeaders
    public let body: HTTPClientResponseBody
}

/// A streamed response's body: its pieces as they arrive, each read from the connection only
/// when the previous one was taken, so a slow consumer slows the sender (backpressure) and
/// memory stays at one piece (at most 256 KiB).
///
/// Read it by one consumer, to its end (the connection then goes back to the pool) or until
/// `close()`; a body dropped unread closes its connection.
public final class HTTPClientResponseBody: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    private let client: HTTPClient
    private let exchange: StreamedExchange
    private let target: HTTPClient.Target

    init(client: HTTPClient, exchange: StreamedExchange, target: HTTPClient.Target) {
        self.client = client
        self.exchange = exchange
        self.target = target
    }

    /// The next piece; nil at the end.
    public func next() async throws -> [UInt8]? {
        let exchange = self.exchange
        do {
            return try await client.onWorker { try exchange.receiveBodyPiece() }
        } catch {
            exchange.finish(reusable: false)
            throw client.clienteleError(error, target: target)
        }
    }

    /// The whole body, for a small answer (an error's JSON); `.unavailable` past `maxBytes`.
    public func collect(maxBytes: Int = 1 << 20) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let piece = try await next() {
            bytes.append(contentsOf: piece)
            guard bytes.count <= maxBytes else {
                close()
                throw ClienteleError(.unavailable, "Upstream sent a malformed response", internalDetail: "response body too large")
            }
        }
        return bytes
    }

    /// Stops reading: the connection is closed unless the body was read to its end.
    public func close() {
        exchange.finish(reusable: false)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let body: HTTPClientResponseBody

        public mutating func next() async throws -> [UInt8]? {
            try await body.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: self)
    }
}
