import Errors
import Synchronization

/// At most `limit` operations of one kind at once; one more is refused (503), never queued,
/// so memory and file descriptors stay bounded.
final class InFlightLimit: Sendable {
    private let count = Mutex(0)
    let limit: Int
    private let what: String

    init(limit: Int, what: String) {
        self.limit = limit
        self.what = what
    }

    /// Runs `body` within the limit; `.unavailable` when it is reached.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        let admitted = count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else { throw ClienteleError(.unavailable, "Too many \(what) in progress; retry shortly") }
        defer { count.withLock { $0 -= 1 } }
        return try await body()
    }
}
