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
    let deadline = ContinuousClock.now + timeout
    var pause: Duration = .milliseconds(2)
    while true {
        if let found = try await value() { return found }
        guard ContinuousClock.now < deadline else { throw TestSupportError("timed out after \(timeout) waiting until \(what())") }
        if pausing {
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        } else {
            try Task.checkCancellation()
        }
    }
}
