/// Waits until `condition` holds, checking it again every few milliseconds, and fails the
/// test (throws) when `timeout` passes first: the one way tests wait for a state another
/// process or task reaches.
public func eventually(_ what: @autoclosure () -> String, timeout: Duration = .seconds(30),
                       _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    var pause: Duration = .milliseconds(2)
    while true {
        if try await condition() { return }
        guard ContinuousClock.now < deadline else { throw TestSupportError("timed out after \(timeout) waiting until \(what())") }
        try await Task.sleep(for: pause)
        pause = min(pause * 2, .milliseconds(50))
    }
}
