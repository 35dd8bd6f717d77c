import Errors
import HTTP
import InternalAPI
import Synchronization

/// The care export's pages as the search projection streams them (`InternalPaths.careExport`,
/// `CareExportPage+Stream`), read from the connection only as they are asked for, so a slow
/// caller slows the projection's query (backpressure) and the gateway holds a page or two.
///
/// One reader at a time (the export asks for the next page once the last one's task ended);
/// `close` may come from another task at any time. A stream that ends without its end frame,
/// or holds bytes that are not the stream, throws (the export's caller then gets a cut body,
/// never a complete-looking one). `close` stops reading and closes the connection, which ends
/// the projection's query; while a read is under way, the reader closes it when its read
/// returns (the connection is not closed under a read).
final class CareExportPages: Sendable {
    private let body: HTTPClientResponseBody
    private let state = Mutex(State())

    private struct State {
        var reader = CareExportPage.StreamReader()
        /// A read from the connection is under way.
        var reading = false
        /// `close` was called.
        var closed = false
    }

    private enum Step {
        case page(CareExportPage)
        case ended
        case read
    }

    init(body: HTTPClientResponseBody) {
        self.body = body
    }

    /// The next page; nil after the last.
    func next() async throws -> CareExportPage? {
        while true {
            let step = try state.withLock { state throws(ClienteleError) -> Step in
                guard !state.closed else { throw Self.closedError }
                do throws(CareExportPage.StreamReader.Malformed) {
                    if let page = try state.reader.nextPage() { return .page(page) }
                } catch {
                    throw Self.malformed(error.reason)
                }
                state.reading = true
                return state.reader.ended ? .ended : .read
            }
            switch step {
            case .page(let page):
                return page
            case .ended:
                // Read to the body's end, so the connection goes back to the pool.
                guard try await read() == nil else { throw Self.malformed("bytes after the end of the export") }
                return nil
            case .read:
                guard let piece = try await read() else {
                    throw Self.malformed("the export stream ended before its end frame")
                }
                state.withLock { $0.reader.append(piece) }
            }
        }
    }

    /// One piece from the connection (nil at the body's end), `reading` set (by the caller,
    /// under the lock that saw `closed` false) until it returns; closes the connection when
    /// `close` came meanwhile.
    private func read() async throws -> [UInt8]? {
        let piece: [UInt8]?
        do {
            piece = try await body.next()
        } catch {
            state.withLock { $0.reading = false }
            throw error
        }
        let closed = state.withLock { state -> Bool in
            state.reading = false
            return state.closed
        }
        if closed {
            body.close()
            throw Self.closedError
        }
        return piece
    }

    /// Stops reading: the connection closes unless the stream was read to its end.
    func close() {
        let now = state.withLock { state -> Bool in
            state.closed = true
            return !state.reading
        }
        if now { body.close() }
    }

    static let closedError = ClienteleError(.unavailable, "Service unavailable", internalDetail: "the care export stream was closed")

    static func malformed(_ detail: String) -> ClienteleError {
        ClienteleError(.unavailable, "Upstream sent a malformed response", internalDetail: detail)
    }
}
