import Dispatch
import Synchronization

/// A gate that code running on a thread of its own (a pooled connection's body, an append's
/// `make`) stops at until the test opens it: the test decides when the blocked work goes on,
/// instead of guessing with a sleep how long it takes.
///
/// `arrivals` counts the callers that reached the gate, so a test can wait (`eventually`)
/// until the work it holds is in place. A caller still waiting when `timeout` passes throws,
/// so a test that never opens the gate fails instead of hanging.
public final class BlockingGate: Sendable {
    private struct State {
        var arrivals = 0
        var waiting = 0
        var open = false
    }

    private let state = Mutex(State())
    private let passes = DispatchSemaphore(value: 0)

    public init() {}

    /// Callers that reached the gate so far (passed or still waiting).
    public var arrivals: Int { state.withLock { $0.arrivals } }

    /// Whether `open()` was called.
    public var isOpen: Bool { state.withLock { $0.open } }

    /// Blocks the calling thread until the gate is open (returns at once if it is).
    public func pass(timeout: Duration = .seconds(60)) throws {
        let mustWait = state.withLock { state in
            state.arrivals += 1
            if state.open { return false }
            state.waiting += 1
            return true
        }
        guard mustWait else { return }
        let (seconds, attoseconds) = timeout.components
        if passes.wait(timeout: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))) == .success {
            return
        }
        let openedMeanwhile = state.withLock { state in
            if state.open { return true }
            state.waiting -= 1
            return false
        }
        guard openedMeanwhile else { throw TestSupportError("the gate was not opened within \(timeout)") }
        // `open()` counted this caller and signalled for it: take that pass.
        passes.wait()
    }

    /// Lets every caller through, those waiting and those to come.
    public func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = 0 }
            return state.waiting
        }
        for _ in 0..<waiting { passes.signal() }
    }
}
