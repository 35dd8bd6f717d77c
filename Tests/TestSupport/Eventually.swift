import Foundation

/// Waits until `condition` holds, checking it again every few milliseconds, and fails the
/// test (throws) when `timeout` passes first: the one way tests wait for a state another
/// process or task reaches.
///
/// `what` is evaluated only on failure, so it may describe the last state seen. A condition
/// that does the work it waits for itself (steps a consumer, relays a batch: each round
/// waits on its own I/O) passes `pausing: false` to be asked again at once.
public func eventually(_ what: @autoclosure () -> String, timeout: Duration = .seconds(30), pausing: Bool = true,
                       _ condition: () async throws -> Bool) async throws {
    _ = try await eventuallyValue(what(), timeout: timeout, pausing: pausing) { try await condition() ? true : nil }
}

/// `eventually` for a wait that yields something: asks `value` until it returns non-nil and
/// returns that; throws when `timeout` passes first.
public func eventuallyValue<Value>(_ what: @autoclosure () -> String, timeout: Duration = .seconds(30), pausing: Bool = true,
                                   _ value: () async throws -> Value?) async throws -> Value {
    var polling = Polling(timeout: timeout)
    while true {
        if let found = try await value() { return found }
        guard let pause = polling.nextPause() else { throw TestSupportError("timed out after \(timeout) waiting until \(what())") }
        if pausing {
            try await Task.sleep(for: pause)
        } else {
            try Task.checkCancellation()
        }
    }
}

/// `eventually` for synchronous code (starting a server from an initializer): blocks the
/// calling thread between checks.
public func eventuallyBlocking(_ what: @autoclosure () -> String, timeout: Duration = .seconds(30),
                               _ condition: () throws -> Bool) throws {
    var polling = Polling(timeout: timeout)
    while try !condition() {
        guard let pause = polling.nextPause() else { throw TestSupportError("timed out after \(timeout) waiting until \(what())") }
        Thread.sleep(forTimeInterval: Double(pause.components.attoseconds) / 1e18 + Double(pause.components.seconds))
    }
}

/// The pauses between checks: 2 ms, doubling up to 50 ms, until the deadline.
private struct Polling {
    let deadline: ContinuousClock.Instant
    var pause: Duration = .milliseconds(2)

    init(timeout: Duration) { deadline = ContinuousClock.now + timeout }

    /// The pause before the next check; nil once the deadline has passed.
    mutating func nextPause() -> Duration? {
        guard ContinuousClock.now < deadline else { return nil }
        defer { pause = min(pause * 2, .milliseconds(50)) }
        return pause
    }
}
