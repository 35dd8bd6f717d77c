import Synchronization

/// Serialises the moments an object appears or disappears, and remembers the objects whose
/// metadata row is not committed yet.
///
/// An upload's commit (rename, or refreshing an existing object's time) and the sweep's
/// check-then-unlink of an object run under one lock, and an object stays `held` from its
/// commit until its row is in the database: the sweep never removes an object an upload is
/// about to name. Within one process; `ContentStore` says why one process owns a directory.
final class ObjectGuard: Sendable {
    private let held = Mutex<[String: Int]>([:])
    private let transitions = Mutex<Void>(())

    /// Runs `body` with no other commit or removal in progress.
    func exclusively<T>(_ body: () throws -> T) rethrows -> T {
        try transitions.withLock { _ in try body() }
    }

    func hold(_ sha256: String) { held.withLock { $0[sha256, default: 0] += 1 } }

    func release(_ sha256: String) {
        held.withLock { counts in
            let remaining = (counts[sha256] ?? 1) - 1
            counts[sha256] = remaining > 0 ? remaining : nil
        }
    }

    func isHeld(_ sha256: String) -> Bool { held.withLock { $0[sha256] != nil } }
}
