import Foundation

/// A value guarded by a lock, shared between a test, the servers it starts and their
/// handler tasks.
///
/// `@unchecked Sendable`: `value` is only reached through `withLock`, which holds `lock`.
public final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
