import Errors
import Synchronization

/// At most `limit` operations of one kind at once; one more is refused (503), never queued,
/// so memory, file descriptors and database connections stay bounded.
public final class InFlightLimit: Sendable {
    private let count = Mutex(0)
    public let limit: Int
    private let what: String

    public init(limit: Int, what: String) {
        precondition(limit > 0, "a limit admits at least one operation")
        self.limit = limit
        self.what = what
    }

    /// How many operations hold a place now.
    public var inFlight: Int { count.withLock { $0 } }

    /// Runs `body` within the limit; `.unavailable` when it is reached.
    public func run<T>(_ body: () async throws -> T) async throws -> T {
        let permit = try admit()
        defer { permit.release() }
        return try await body()
    }

    /// A place for an operation that outlives the call that starts it (a streamed answer):
    /// held until `release()` (or the permit's end); `.unavailable` when the limit is reached.
    public func admit() throws -> Permit {
        let admitted = count.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else { throw ClienteleError(.unavailable, "Too many \(what) in progress; retry shortly") }
        return Permit(self)
    }

    fileprivate func leave() {
        count.withLock { $0 -= 1 }
    }

    /// One admitted operation's place; given back once, by `release()` or at its end.
    public final class Permit: Sendable {
        private let limit: InFlightLimit
        private let released = Mutex(false)

        fileprivate init(_ limit: InFlightLimit) {
            self.limit = limit
        }

        public func release() {
            let first = released.withLock { released in
                defer { released = true }
                return !released
            }
            if first { limit.leave() }
        }

        deinit { release() }
    }
}
