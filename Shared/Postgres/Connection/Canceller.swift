import CLibPQ
import Foundation

/// Lets another thread ask the server to cancel a connection's running statement.
///
/// `@unchecked Sendable`: `cancel` is only touched under `lock`, and libpq documents
/// `PQcancel` as safe to call from any thread while the connection is in use.
final class Canceller: @unchecked Sendable {
    private let lock = NSLock()
    private var cancel: OpaquePointer?

    init(_ cancel: OpaquePointer?) { self.cancel = cancel }

    deinit { invalidate() }

    /// Sends a cancel request for whatever statement is running; harmless if none is.
    func cancelRunningStatement() {
        lock.withLock {
            guard let cancel else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &buffer, Int32(buffer.count))
        }
    }

    func invalidate() {
        lock.withLock {
            if let cancel { PQfreeCancel(cancel) }
            cancel = nil
        }
    }
}
