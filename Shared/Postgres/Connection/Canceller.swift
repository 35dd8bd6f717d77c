import CLibPQ
import Synchronization

/// Lets another thread ask the server to cancel a connection's running statement.
///
/// The cancel object is only used or freed holding `cancel`'s lock.
final class Canceller: Sendable {
    /// libpq's `PGcancel`.
    ///
    /// `@unchecked Sendable`: a pointer, which Swift does not consider Sendable; libpq
    /// documents `PQcancel` as safe to call from any thread while the connection is in use,
    /// and the pointer is only used or freed inside the Mutex.
    private struct CancelObject: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private let cancel: Mutex<CancelObject?>

    init(_ cancel: OpaquePointer?) { self.cancel = Mutex(cancel.map(CancelObject.init)) }

    deinit { invalidate() }

    /// Sends a cancel request for whatever statement is running; harmless if none is.
    func cancelRunningStatement() {
        cancel.withLock { cancel in
            guard let cancel else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel.pointer, &buffer, Int32(buffer.count))
        }
    }

    func invalidate() {
        cancel.withLock { cancel in
            if let cancel { PQfreeCancel(cancel.pointer) }
            cancel = nil
        }
    }
}
