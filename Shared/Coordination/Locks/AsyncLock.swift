/// A mutual-exclusion lock for async code, handed over first come, first served.
///
/// A projection holds it for each batch; a rebuild holds it to pause the live projection
/// while it swaps tables. Not reentrant, not cancellable (holders keep it briefly).
public actor AsyncLock {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init() {}

    public func lock() async {
        if !held {
            held = true
            return
        }
        // Ownership passes directly from `unlock` to the resumed waiter.
        await withCheckedContinuation { waiters.append($0) }
    }

    public func unlock() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }

    /// Runs `body` holding the lock.
    public nonisolated func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await lock()
        do {
            let value = try await body()
            await unlock()
            return value
        } catch {
            await unlock()
            throw error
        }
    }
}
